import Foundation

/// Validation of provider URLs: `http(s)://host…`; plain `http` only to loopback unless explicitly allowed.
enum BaseURL {
    /// Why a URL was refused, or `nil` when it is acceptable.
    static func problem(_ text: String, allowInsecure: Bool) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else {
            return "'\(text)' is not an http(s) URL"
        }
        guard let host = components.host, !host.isEmpty else { return "'\(text)' has no host" }
        if components.query != nil || components.fragment != nil {
            return "'\(text)' must not have a query or fragment"
        }
        if scheme == "http" && !allowInsecure && !isLoopback(host) {
            return "'\(text)' uses plain http to a non-loopback host; use https (or set allow_insecure = true)"
        }
        return nil
    }

    /// `localhost`, `127.0.0.0/8` and `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.first == "127" else { return false }
        return octets.allSatisfy { octet in
            !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII) && UInt8(octet) != nil
        }
    }
}
