import Crypto
import Foundation
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (g) The master key: created 0600 when missing, refused when too open or the wrong size.
@Suite struct MasterKeyTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokend-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func createsA32ByteOwnerOnlyFileWhenMissing() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sub/master.key").path
        let key = try MasterKey.load(.file(path))
        #expect(key.bitCount == 256)
        #expect(FileManager.default.contents(atPath: path)?.count == 32)
        #expect(try Self.mode(path) == 0o600)
        // Loading again yields the same key, not a new one.
        let again = try MasterKey.load(.file(path))
        #expect(Sealer(masterKey: key).fingerprint("x") == Sealer(masterKey: again).fingerprint("x"))
    }

    @Test func refusesModeWiderThan0600() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("master.key").path
        try Data(repeating: 1, count: 32).write(to: URL(fileURLWithPath: path))
        for mode in [0o644, 0o640, 0o604, 0o660] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect {
                _ = try MasterKey.load(.file(path))
            } throws: { error in
                "\(error)".contains("mode 0\(String(mode, radix: 8))") && "\(error)".contains("0600")
            }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        _ = try MasterKey.load(.file(path))
    }

    @Test(arguments: [0, 31, 33, 64])
    func refusesWrongSize(size: Int) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("master.key").path
        try Data(repeating: 2, count: size).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect {
            _ = try MasterKey.load(.file(path))
        } throws: { error in
            "\(error)".contains("holds \(size) bytes")
        }
    }

    @Test func readsACredential() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tokend-master-key").path
        let bytes = Data((0..<32).map { UInt8($0) })
        try bytes.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)  // not our business
        let key = try MasterKey.load(.credential(name: "tokend-master-key", path: path))
        #expect(key.withUnsafeBytes { Data($0) } == bytes)
        #expect(throws: MasterKey.LoadError.self) {
            _ = try MasterKey.load(.credential(name: "missing", path: dir.appendingPathComponent("missing").path))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("missing").path))
    }
}
