import Crypto
import Foundation

/// Signs checkpoints with the audit signing key (an Ed25519 seed, 32 bytes) and checks them with its public key.
public struct CheckpointSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// - Throws: when `seed` is not 32 bytes.
    public init(seed: some ContiguousBytes) throws {
        key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// A fresh random key (the daemon's first start).
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// The 32-byte seed, for writing the key file.
    public var seed: Data { key.rawRepresentation }

    public var publicKey: Curve25519.Signing.PublicKey { key.publicKey }

    /// `checkpoint` with its signature set.
    public func sign(_ checkpoint: Checkpoint) throws -> Checkpoint {
        var signed = checkpoint
        signed.signature = Array(try key.signature(for: checkpoint.signedBytes))
        return signed
    }

    /// Whether `checkpoint` carries a valid signature by `publicKey`.
    public static func isValid(_ checkpoint: Checkpoint, publicKey: Curve25519.Signing.PublicKey) -> Bool {
        checkpoint.signature.count == 64 && publicKey.isValidSignature(checkpoint.signature, for: checkpoint.signedBytes)
    }

    /// Reads a public key as `tokend audit-public-key` prints it (64 hex digits), or its base64, or 32 raw bytes.
    public static func publicKey(parsing contents: Data) -> Curve25519.Signing.PublicKey? {
        let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let bytes = Hex.decode(text), bytes.count == 32 {
            return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        }
        if let bytes = Data(base64Encoded: text), bytes.count == 32 {
            return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        }
        if contents.count == 32 { return try? Curve25519.Signing.PublicKey(rawRepresentation: contents) }
        return nil
    }
}
