import Crypto
import TokendAudit
import Foundation

/// Seals raw tokens at rest and computes their lookup fingerprints.
///
/// Two subkeys are derived from the master key with HKDF-SHA256, one per purpose, so the raw master key is
/// never used directly: a fingerprint leak reveals nothing about the sealing key and vice versa.
public struct Sealer: Sendable {
    private let sealingKey: SymmetricKey
    private let fingerprintKey: SymmetricKey

    public init(masterKey: SymmetricKey) {
        sealingKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey, info: Data("tokend/seal/v1".utf8), outputByteCount: 32)
        fingerprintKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey, info: Data("tokend/fingerprint/v1".utf8), outputByteCount: 32)
    }

    /// Why a sealed blob could not be opened: corrupted bytes, another key, or another row's blob.
    public struct UnsealError: Error, Sendable, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// AES-GCM seals `token` with the token id as associated data (a blob copied to another row won't open).
    public func seal(_ token: String, tokenID: String) throws -> Data {
        let box = try AES.GCM.seal(Data(token.utf8), using: sealingKey, authenticating: Data(tokenID.utf8))
        guard let combined = box.combined else { throw UnsealError(description: "AES-GCM produced no output") }
        return combined
    }

    /// Opens a blob sealed for `tokenID`.
    public func open(_ sealed: Data, tokenID: String) throws(UnsealError) -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let plain = try AES.GCM.open(box, using: sealingKey, authenticating: Data(tokenID.utf8))
            guard let token = String(data: plain, encoding: .utf8) else {
                throw UnsealError(description: "sealed token is not UTF-8")
            }
            return token
        } catch let error as UnsealError {
            throw error
        } catch {
            throw UnsealError(description: "cannot unseal token (corrupted bytes or wrong master key)")
        }
    }

    /// `hmac-sha256:<hex>` of the raw token under the fingerprint subkey.
    public func fingerprint(_ token: String) -> String {
        Self.fingerprintText(mac: fingerprintMAC(token))
    }

    /// The 32 bytes of the raw token's HMAC under the fingerprint subkey (what a store may keep instead of
    /// the 76-character text: SQLite stores these, in its table row and in its unique index).
    public func fingerprintMAC(_ token: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: fingerprintKey))
    }

    /// The record's `fingerprint` text of a MAC from ``fingerprintMAC(_:)``.
    public static func fingerprintText(mac: some Sequence<UInt8>) -> String {
        "hmac-sha256:" + Hex.encode(mac)
    }

    /// The MAC of a `hmac-sha256:<hex>` text, or nil when `text` is not one (64 lower-case digits exactly).
    public static func fingerprintMAC(text: String) -> [UInt8]? {
        let prefix = "hmac-sha256:"
        guard text.hasPrefix(prefix) else { return nil }
        let digits = text.dropFirst(prefix.count)
        guard let mac = Hex.decode(digits), mac.count == 32, Hex.encode(mac) == digits else { return nil }
        return mac
    }
}
