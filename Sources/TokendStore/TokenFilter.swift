import Foundation
import TokendCore

/// The list / bulk filter (control-api.md: `provider, account, owner, state, label=k:v, expires_before,
/// expires_after`, bulk adds `issued_before`). All conditions are ANDed.
public struct TokenFilter: Sendable, Hashable, Codable {
    public var provider: ProviderKind?
    public var account: String?
    public var owner: String?
    public var states: [TokenState]
    public var labels: [String: String]
    public var expiresBefore: Date?
    public var expiresAfter: Date?
    public var issuedBefore: Date?
    /// Restricts to tokens registered by this uid (the `client` role's view).
    public var registeredByUID: UInt32?

    public init(
        provider: ProviderKind? = nil, account: String? = nil, owner: String? = nil, states: [TokenState] = [],
        labels: [String: String] = [:], expiresBefore: Date? = nil, expiresAfter: Date? = nil,
        issuedBefore: Date? = nil, registeredByUID: UInt32? = nil
    ) {
        self.provider = provider
        self.account = account
        self.owner = owner
        self.states = states
        self.labels = labels
        self.expiresBefore = expiresBefore
        self.expiresAfter = expiresAfter
        self.issuedBefore = issuedBefore
        self.registeredByUID = registeredByUID
    }

    /// True when no condition selects anything (bulk refuses this: "revoke everything" must be explicit).
    public var isEmpty: Bool {
        provider == nil && account == nil && owner == nil && states.isEmpty && labels.isEmpty
            && expiresBefore == nil && expiresAfter == nil && issuedBefore == nil
    }
}

/// A position in the `(expires_at, id)` order of the token list.
public struct TokenCursor: Sendable, Hashable {
    public var expiresAtMillis: Int64
    public var id: String

    public init(expiresAtMillis: Int64, id: String) {
        self.expiresAtMillis = expiresAtMillis
        self.id = id
    }

    /// Opaque text form for the API (`<millis>.<id>`, base64url).
    public var encoded: String {
        Data("\(expiresAtMillis).\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Parses `encoded`; `nil` for anything malformed.
    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard base64.count <= 200 else { return nil }
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let dot = text.firstIndex(of: "."), let millis = Int64(text[..<dot])
        else { return nil }
        let id = String(text[text.index(after: dot)...])
        guard Identifier.isValid(id, prefix: "tok_") else { return nil }
        self.init(expiresAtMillis: millis, id: id)
    }
}
