import Foundation
import TokendCore

/// Resolves a secret that may be given inline (`api_key`), as a file (`api_key_file`) or as a systemd
/// credential (`api_key_credential`, a name under `$CREDENTIALS_DIRECTORY`) — exactly one of them.
enum SecretSource {
    /// The secret named `base` in `reader`'s table, or `nil` when none of its three spellings is present.
    static func resolve(_ base: String, in reader: TableReader) throws(ConfigError) -> Secret? {
        let spellings = [base, base + "_file", base + "_credential"].filter(reader.has)
        guard let chosen = spellings.first else { return nil }
        if spellings.count > 1 {
            let path = reader.path
            throw reader.error(
                "'\(path.dotted(base))' is given more than one way ("
                    + spellings.map { "'\(path.dotted($0))'" }.joined(separator: " and ") + "); use exactly one",
                key: spellings[1])
        }
        let text: String
        switch chosen {
        case base:
            guard let inline = try reader.nonEmptyString(base) else { return nil }
            return Secret(inline)
        case base + "_file":
            guard let file = try reader.nonEmptyString(chosen) else { return nil }
            text = try read(reader.context.resolve(file), key: chosen, in: reader)
        default:
            guard let name = try reader.nonEmptyString(chosen) else { return nil }
            let path = try credentialPath(name, key: chosen, in: reader)
            text = try read(path, key: chosen, in: reader)
        }
        let value = text.trimmingSpaces()
        guard !value.isEmpty else {
            throw reader.error("'\(reader.path.dotted(chosen))': the secret is empty", key: chosen)
        }
        return Secret(value)
    }

    /// A password file's first line (trailing newline and spaces trimmed); empty is an error.
    static func password(file path: String, key: String, in reader: TableReader) throws(ConfigError) -> Secret {
        let text = try read(path, key: key, in: reader).trimmingSpaces()
        guard !text.isEmpty else { throw reader.error("'\(reader.path.dotted(key))': '\(path)' is empty", key: key) }
        return Secret(text)
    }

    /// The file of credential `name` under `$CREDENTIALS_DIRECTORY`; it must exist.
    static func credentialPath(_ name: String, key: String, in reader: TableReader) throws(ConfigError) -> String {
        let dotted = reader.path.dotted(key)
        guard !name.contains("/"), !name.contains(".."), !name.contains("\u{0}"), name != "." else {
            throw reader.error(
                "'\(dotted)': invalid credential name '\(name)' (a plain file name without '/' or '..')", key: key)
        }
        guard let directory = reader.context.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
            throw reader.error(
                "'\(dotted)': $CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=\(name):…)",
                key: key)
        }
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + name
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw reader.error("'\(dotted)': credential '\(name)' not found in $CREDENTIALS_DIRECTORY (\(path))", key: key)
        }
        return path
    }

    private static func read(_ path: String, key: String, in reader: TableReader) throws(ConfigError) -> String {
        let dotted = reader.path.dotted(key)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw reader.error("'\(dotted)': cannot read '\(path)': \(reason(error))", key: key)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw reader.error("'\(dotted)': '\(path)' is not UTF-8 text", key: key)
        }
        return text
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "No such file or directory"
            case NSFileReadNoPermissionError: return "Permission denied"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
