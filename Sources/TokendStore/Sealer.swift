import Crypto
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
        let mac = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: fingerprintKey)
        return "hmac-sha256:" + Self.hex(mac)
    }

    /// Lower-case hex without `String(format:)`, which costs microseconds per byte on Linux.
    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
