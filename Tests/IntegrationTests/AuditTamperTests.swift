import Foundation
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16's tamper tests on a real database file: the daemon writes the chain and checkpoints, then the
/// file is changed behind its back with the sqlite3 CLI (triggers dropped) and `tokend verify-audit` must name
/// what was done, exit 1, and exit 0 on the untouched copy.
@Suite(.serialized) struct AuditTamperTests {
    /// A stopped daemon's database with 8 registrations, one revoke request, a checkpoint after the sixth row
    /// group and two rows after it; and its public key file.
    struct Fixture {
        let sandbox: DaemonSandbox
        let publicKey: String
        let export: String
        let checkpointAuditID: Int

        func copy(_ name: String) throws -> String {
            let path = sandbox.root.appendingPathComponent("\(name).sqlite3").path
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: sandbox.database, toPath: path)
            return path
        }

        func verify(_ database: String, _ extra: [String] = []) throws -> (status: Int32, output: String) {
            try run(BuiltProducts.tokend, ["verify-audit", "--database", database, "--public-key", publicKey] + extra)
        }
    }

    static func fixture() async throws -> Fixture {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        var ids: [String] = []
        for index in 0..<6 {
            let created = try await daemon.client.request(
                "POST", "/v1/tokens",
                json: Data(#"{"provider":"fogbugz","account":"fb","token":"tamper-\#(index)","labels":{"n":"\#(index)"}}"#.utf8))
            #expect(created.status == 201)
            ids.append(created.object["id"] as? String ?? "")
        }
        let revoke = try await daemon.client.request("POST", "/v1/tokens/\(ids[0])/revoke", json: Data(#"{"reason":"tamper test"}"#.utf8))
        #expect(revoke.status == 202)
        #expect(try await eventually { (try await daemon.client.request("GET", "/v1/tokens/\(ids[0])")).object["state"] as? String != "revoking" })
        let checkpoint = try await daemon.client.request("POST", "/v1/audit/checkpoints")
        #expect(checkpoint.status == 201, "\(checkpoint.text)")
        let auditID = checkpoint.object["audit_id"] as? Int ?? 0
        #expect((checkpoint.object["signature"] as? String)?.count == 128)
        for index in 6..<8 {
            _ = try await daemon.client.request(
                "POST", "/v1/tokens", json: Data(#"{"provider":"fogbugz","account":"fb","token":"tamper-\#(index)"}"#.utf8))
        }
        let events = try await daemon.client.request("GET", "/v1/audit?limit=1")
        let newest = (events.object["events"] as? [[String: Any]])?.first
        #expect((newest?["hash"] as? String)?.count == 64)
        #expect((newest?["prev_hash"] as? String)?.count == 64)

        let export = sandbox.root.appendingPathComponent("audit.jsonl").path
        let exported = try run(
            BuiltProducts.tokenctl, ["audit", "export", "--socket", sandbox.socket, "--output", export])
        #expect(exported.status == 0, "\(exported.output)")
        // Streamed to stdout, the same lines; a refused export leaves no file behind.
        let streamed = try run(BuiltProducts.tokenctl, ["audit", "export", "--socket", sandbox.socket])
        #expect(streamed.status == 0)
        let written = (try? String(contentsOfFile: export, encoding: .utf8)) ?? ""
        #expect(streamed.output.split(separator: "\n").dropLast() == written.split(separator: "\n").dropLast())
        let refusedFile = sandbox.root.appendingPathComponent("refused.jsonl").path
        let refused = try run(
            BuiltProducts.tokenctl,
            ["audit", "export", "--socket", sandbox.socket, "--since", "yesterday", "--output", refusedFile])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("bad_request"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: refusedFile))
        #expect(!FileManager.default.fileExists(atPath: refusedFile + ".partial"))
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()

        let key = try run(BuiltProducts.tokend, ["audit-public-key", "--config", sandbox.config.path])
        #expect(key.status == 0, "\(key.output)")
        let publicKey = sandbox.root.appendingPathComponent("audit.pub").path
        try Data(key.output.utf8).write(to: URL(fileURLWithPath: publicKey))
        return Fixture(sandbox: sandbox, publicKey: publicKey, export: export, checkpointAuditID: auditID)
    }

    static func sqlite(_ database: String, _ sql: String) throws {
        let result = try run("/usr/bin/sqlite3", [database, sql])
        #expect(result.status == 0, "sqlite3: \(result.output)")
    }

    static let allColumns = [
        "at", "token_id", "episode", "action", "actor_uid", "actor_pid", "actor_role", "actor_system", "reason",
        "provider_status", "provider_detail", "duration_ms", "attempt", "job_id", "prev_hash", "hash",
    ]

    @Test func everyTamperingIsNamedAndTheUntouchedLogVerifies() async throws {
        let f = try await Self.fixture()
        defer { f.sandbox.remove() }
        let cp = f.checkpointAuditID
        #expect(cp > 8)

        let clean = try f.verify(f.sandbox.database)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("intact: "), "\(clean.output)")
        #expect(clean.output.contains("warning: unverifiable tail of 2 rows since checkpoint 2"), "\(clean.output)")
        let strict = try f.verify(f.sandbox.database, ["--strict"])
        #expect(strict.status == 1, "\(strict.output)")
        #expect(strict.output.contains("unverifiable tail of 2 rows since checkpoint 2"))
        // The configuration's own signing key works too.
        let viaConfig = try run(BuiltProducts.tokend, ["verify-audit", "--config", f.sandbox.config.path])
        #expect(viaConfig.status == 0, "\(viaConfig.output)")

        // One field changed.
        let changed = try f.copy("changed")
        try Self.sqlite(changed, "DROP TRIGGER audit_no_update; UPDATE audit SET reason = 'nothing to see' WHERE id = 3;")
        let c = try f.verify(changed)
        #expect(c.status == 1, "\(c.output)")
        #expect(c.output.contains("first: row 3: hash does not match the row's fields"), "\(c.output)")

        // One row deleted.
        let deleted = try f.copy("deleted")
        try Self.sqlite(deleted, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 4;")
        let d = try f.verify(deleted)
        #expect(d.status == 1, "\(d.output)")
        #expect(d.output.contains("first: row 5: row 4 is missing before it (deleted)"), "\(d.output)")

        // One row inserted at the end, without (a valid) hash.
        let inserted = try f.copy("inserted")
        try Self.sqlite(
            inserted,
            "INSERT INTO audit (id, at, action, actor_system, reason) SELECT max(id) + 1, 0, 'revoked', 'forger', 'x' FROM audit;")
        let i = try f.verify(inserted)
        #expect(i.status == 1, "\(i.output)")
        #expect(i.output.contains("no hash (written outside tokend"), "\(i.output)")

        // Two rows swapped (every column but the id).
        let swapped = try f.copy("swapped")
        let assignments = Self.allColumns.map { "\($0) = s.\($0)" }.joined(separator: ", ")
        try Self.sqlite(
            swapped,
            """
            DROP TRIGGER audit_no_update; DROP INDEX audit_one_terminal;
            CREATE TEMP TABLE s AS SELECT * FROM audit WHERE id IN (2, 3);
            UPDATE audit SET \(assignments) FROM s WHERE audit.id IN (2, 3) AND s.id = 5 - audit.id;
            """)
        let s = try f.verify(swapped)
        #expect(s.status == 1, "\(s.output)")
        #expect(s.output.contains("first: row 2: "), "\(s.output)")

        // A checkpoint's signature replaced.
        let forged = try f.copy("forged")
        try Self.sqlite(
            forged, "DROP TRIGGER audit_checkpoints_no_update; UPDATE audit_checkpoints SET signature = randomblob(64) WHERE id = 2;")
        let g = try f.verify(forged)
        #expect(g.status == 1, "\(g.output)")
        #expect(g.output.contains("checkpoint 2: signature does not verify"), "\(g.output)")

        // The tail truncated past the checkpoint.
        let truncated = try f.copy("truncated")
        try Self.sqlite(truncated, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > \(cp - 2);")
        let t = try f.verify(truncated)
        #expect(t.status == 1, "\(t.output)")
        #expect(t.output.contains("checkpoint 2: covers row \(cp) but the log ends at row \(cp - 2) (truncated)"), "\(t.output)")

        // The tail truncated after the checkpoint only: not provable, a warning (and a failure with --strict).
        let shortTail = try f.copy("short-tail")
        try Self.sqlite(shortTail, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > \(cp + 1);")
        let u = try f.verify(shortTail)
        #expect(u.status == 0, "\(u.output)")
        #expect(u.output.contains("unverifiable tail of 1 rows since checkpoint 2"), "\(u.output)")
        #expect(try f.verify(shortTail, ["--strict"]).status == 1)

        // None of this touched the original.
        #expect(try f.verify(f.sandbox.database).status == 0)
    }

    @Test func exportsVerifyWithoutTheDatabaseAndBadInputIsRefused() async throws {
        let f = try await Self.fixture()
        defer { f.sandbox.remove() }
        let good = try run(BuiltProducts.tokend, ["verify-audit", "--export", f.export, "--public-key", f.publicKey])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("intact: "), "\(good.output)")

        let text = try String(contentsOfFile: f.export, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        #expect(text.split(separator: "\n").last?.hasPrefix(#"{"type":"end","#) == true)
        let modified = f.sandbox.root.appendingPathComponent("modified.jsonl").path
        try text.replacingOccurrences(of: #""reason":"tamper test""#, with: #""reason":"tamper tost""#)
            .write(toFile: modified, atomically: true, encoding: .utf8)
        #expect(text.contains(#""reason":"tamper test""#))
        let m = try run(BuiltProducts.tokend, ["verify-audit", "--export", modified, "--public-key", f.publicKey])
        #expect(m.status == 1, "\(m.output)")
        #expect(m.output.contains("hash does not match the row's fields"), "\(m.output)")

        let truncated = f.sandbox.root.appendingPathComponent("truncated.jsonl").path
        try String(text.prefix(text.count / 2)).write(toFile: truncated, atomically: true, encoding: .utf8)
        let t = try run(BuiltProducts.tokend, ["verify-audit", "--export", truncated, "--public-key", f.publicKey])
        #expect(t.status == 1, "\(t.output)")
        #expect(t.output.contains("damaged"), "\(t.output)")

        // A wrong public key: exit 1, saying so. A file that is no key at all: usage error (2).
        let other = f.sandbox.root.appendingPathComponent("other.pub").path
        try Data(String(repeating: "ab", count: 32).utf8).write(to: URL(fileURLWithPath: other))
        let wrong = try run(BuiltProducts.tokend, ["verify-audit", "--database", f.sandbox.database, "--public-key", other])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.contains("wrong key"), "\(wrong.output)")
        let junk = f.sandbox.root.appendingPathComponent("junk.pub").path
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: junk))
        let j = try run(BuiltProducts.tokend, ["verify-audit", "--database", f.sandbox.database, "--public-key", junk])
        #expect(j.status == 2, "\(j.output)")
        #expect(j.output.contains("is not an Ed25519 public key"), "\(j.output)")
    }

    @Test func aBadSigningKeyFileStopsTheDaemonBeforeItWritesAnything() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        let keyPath = sandbox.root.appendingPathComponent("signing.key").path
        try sandbox.writeConfig(fake: fake, extra: "[audit]\nsigning_key_file = \"\(keyPath)\"\n")
        for (bytes, mode, expected) in [(31, 0o600, "holds 31 bytes"), (32, 0o644, "has mode 0644")] {
            try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: keyPath))
            chmod(keyPath, mode_t(mode))
            let result = try run(BuiltProducts.tokend, ["serve", "--config", sandbox.config.path])
            #expect(result.status == 78, "\(result.output)")
            #expect(result.output.contains("audit.signing_key_file"), "\(result.output)")
            #expect(result.output.contains(expected), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: sandbox.database))
        }
        try await fake.shutdown()
    }
}

/// `audit.syslog = true`: each committed event reaches the journal socket with its fields and hash.
@Suite("audit.syslog (real daemon, journal socket stand-in)", .serialized)
struct AuditSyslogTests {
    @Test func committedEventsReachTheJournalWithTheirHashes() async throws {
        let fake = try await FakeProviderServer.start()
        let journal = try NotifyReceiver()
        defer { journal.stop() }
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake, extra: "\n[audit]\nsyslog = true\n")
        let daemon = try await DaemonProcess(sandbox: sandbox, environment: ["TOKEND_JOURNAL_SOCKET": journal.path])
        fake.issue("syslog-token")
        let created = try await daemon.client.request(
            "POST", "/v1/tokens", json: Data(#"{"provider":"fogbugz","account":"fb","token":"syslog-token"}"#.utf8))
        let id = try #require(created.object["id"] as? String)
        let revoke = try await daemon.client.request("POST", "/v1/tokens/\(id)/revoke", json: Data(#"{"wait":true}"#.utf8))
        #expect(revoke.object["state"] as? String == "revoked")
        let audit = try await daemon.client.request("GET", "/v1/audit", query: [("token_id", id)])
        let events = audit.object["events"] as? [[String: Any]] ?? []
        #expect(events.count == 4)
        let arrived = await eventually(timeout: .seconds(10)) {
            events.allSatisfy { event in
                journal.received.contains { $0.text.contains("TOKEND_AUDIT_HASH=\(event["hash"] as? String ?? "-")\n") }
            }
        }
        #expect(arrived, "journal got: \(journal.received.map(\.text))")
        let revoked = journal.received.first { $0.text.contains("TOKEND_AUDIT_ACTION=revoked\n") }?.text ?? ""
        #expect(revoked.contains("SYSLOG_IDENTIFIER=tokend-audit\n"))
        #expect(revoked.contains("TOKEND_AUDIT_TOKEN_ID=\(id)\n"))
        #expect(!journal.received.contains { $0.text.contains("syslog-token") }, "raw token in the journal")
        // Each event once.
        for event in events {
            let hash = event["hash"] as? String ?? "-"
            #expect(journal.received.filter { $0.text.contains("TOKEND_AUDIT_HASH=\(hash)\n") }.count == 1)
        }
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }
}
