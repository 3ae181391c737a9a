import Crypto
import Foundation
import Testing

@testable import TokendSQLite
@testable import TokendStore

/// (h) AES-GCM sealing bound to the token id; HMAC fingerprints under a derived key.
@Suite struct SealerTests {
    let key = SymmetricKey(size: .bits256)
    var sealer: Sealer { Sealer(masterKey: key) }

    @Test func roundTrip() throws {
        let sealed = try sealer.seal("raw-token-ü-✓", tokenID: "tok_A")
        #expect(try sealer.open(sealed, tokenID: "tok_A") == "raw-token-ü-✓")
        #expect(!sealed.contains(Data("raw-token".utf8)))
        // Fresh nonce per seal.
        #expect(try sealer.seal("same", tokenID: "tok_A") != sealer.seal("same", tokenID: "tok_A"))
    }

    @Test func wrongTokenIDFails() throws {
        let sealed = try sealer.seal("raw", tokenID: "tok_A")
        #expect(throws: Sealer.UnsealError.self) { _ = try sealer.open(sealed, tokenID: "tok_B") }
    }

    @Test func wrongKeyFails() throws {
        let sealed = try sealer.seal("raw", tokenID: "tok_A")
        let other = Sealer(masterKey: SymmetricKey(size: .bits256))
        #expect(throws: Sealer.UnsealError.self) { _ = try other.open(sealed, tokenID: "tok_A") }
    }

    @Test func corruptedBytesFail() throws {
        var sealed = try sealer.seal("raw", tokenID: "tok_A")
        sealed[sealed.startIndex + 14] ^= 0x01
        #expect(throws: Sealer.UnsealError.self) { _ = try sealer.open(sealed, tokenID: "tok_A") }
        #expect(throws: Sealer.UnsealError.self) { _ = try sealer.open(Data([1, 2, 3]), tokenID: "tok_A") }
    }

    @Test func fingerprintStableAndPerKey() {
        let a = sealer.fingerprint("raw")
        #expect(a == Sealer(masterKey: key).fingerprint("raw"))
        #expect(a.hasPrefix("hmac-sha256:"))
        #expect(a.count == "hmac-sha256:".count + 64)
        #expect(a != sealer.fingerprint("raw2"))
        #expect(a != Sealer(masterKey: SymmetricKey(size: .bits256)).fingerprint("raw"))
        // Not an HMAC under the raw master key: a derived subkey is used.
        let direct = HMAC<SHA256>.authenticationCode(for: Data("raw".utf8), using: key)
        #expect(a != "hmac-sha256:" + direct.map { String(format: "%02x", $0) }.joined())
    }

    @Test func fingerprintTextAndMACConvertBothWays() throws {
        let mac = sealer.fingerprintMAC("raw")
        #expect(mac.count == 32)
        let text = sealer.fingerprint("raw")
        #expect(Sealer.fingerprintText(mac: mac) == text)
        #expect(Sealer.fingerprintMAC(text: text) == mac)
        // Anything but a lower-case 64-digit `hmac-sha256:` text is not a fingerprint.
        #expect(Sealer.fingerprintMAC(text: text.uppercased()) == nil)
        #expect(Sealer.fingerprintMAC(text: String(text.dropLast())) == nil)
        #expect(Sealer.fingerprintMAC(text: text + "0") == nil)
        #expect(Sealer.fingerprintMAC(text: "sha1:" + text.dropFirst(5)) == nil)
        #expect(Sealer.fingerprintMAC(text: String(text.dropLast()) + "g") == nil)
        #expect(Sealer.fingerprintMAC(text: "hmac-sha256:" + String(repeating: "é", count: 32)) == nil)
    }
}
