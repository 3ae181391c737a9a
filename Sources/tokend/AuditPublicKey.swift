import ArgumentParser
import Foundation
import TokendAudit
import TokendCore
import TokendStore

/// `tokend audit-public-key`: prints the public half of the audit signing key (64 hex digits), for
/// `tokend verify-audit --public-key` on any machine.
struct AuditPublicKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-public-key", abstract: "Print the public key that verifies audit checkpoints.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try ConfigFile.load(options.config)
        do {
            print(Hex.encode(try Self.signer(configuration, create: false).publicKey.rawRepresentation))
        } catch {
            FileHandle.standardError.write(Data("tokend audit-public-key: \(error)\n".utf8))
            throw ExitCode(ExitStatus.config)
        }
    }

    /// The signing key of `configuration` (`audit.signing_key_file`, created 0600 on the daemon's first start
    /// when `create` is set; never by the read-only verbs).
    static func signer(_ configuration: Configuration, create: Bool) throws -> CheckpointSigner {
        let source = configuration.auditSigningKey
        if !create, case .file(let path) = source, !FileManager.default.fileExists(atPath: path) {
            throw MasterKey.LoadError(description: "no audit signing key at \(path) (the daemon creates it on first start)")
        }
        let seed = try MasterKey.load(source)
        return try CheckpointSigner(seed: seed.withUnsafeBytes { Data($0) })
    }
}
