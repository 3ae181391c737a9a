import Glibc
import Logging
import Synchronization
import Testing
@testable import TokendSystemd

/// Collects written lines.
final class LineCapture: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }
    var output: LogOutput { LogOutput { line in self.storage.withLock { $0.append(line) } } }
}

@Suite("journald logging")
struct JournalLogHandlerTests {
    @Test("levels map to syslog priorities", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalLogHandler.syslogPriority(level) == priority)
        let handler = JournalLogHandler(label: "t", style: .journal)
        #expect(handler.format(level: level, message: "m", metadata: [:]) == "<\(priority)>m")
    }

    @Test("JOURNAL_STREAM is honoured only when it names this fd's device and inode")
    func journalStreamDetection() throws {
        let directory = try TemporaryDirectory()
        try directory.write("stream", [])
        let fd = open(directory.file("stream"), O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        let matching = "\(info.st_dev):\(info.st_ino)"
        #expect(JournalStream.isConnected(environment: ["JOURNAL_STREAM": matching], fd: fd))
        #expect(!JournalStream.isConnected(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"], fd: fd))
        #expect(!JournalStream.isConnected(environment: ["JOURNAL_STREAM": "garbage"], fd: fd))
        #expect(!JournalStream.isConnected(environment: [:], fd: fd))
        #expect(JournalStream.parse("8:1234")! == (8, 1234))
        #expect(JournalStream.parse("8:") == nil)
        #expect(JournalLogHandler.detectStyle(environment: [:]) == .plain)
    }

    @Test("stable keys come first in a fixed order, the rest sorted")
    func keyOrder() {
        let handler = JournalLogHandler(label: "t", style: .journal)
        let line = handler.format(
            level: .info, message: "token revoked",
            metadata: [
                "zeta": "1", "attempt": "2", "outcome": "revoked", "account": "acme", "provider": "fogbugz",
                "token_id": "tok_01J9", "duration_ms": "12",
            ]
        )
        #expect(line == "<6>token revoked token_id=tok_01J9 provider=fogbugz account=acme outcome=revoked attempt=2 duration_ms=12 zeta=1")
    }

    @Test("values cannot inject a new line or a fake key", arguments: [
        ("a\nb", #""a\nb""#),
        ("x\r\n<3>forged", #""x\r\n<3>forged""#),
        (#"say "hi" \o/"#, #""say \"hi\" \\o/""#),
        ("tab\there", #""tab\there""#),
        ("esc\u{1B}[31m", #""esc\x1b[31m""#),
        ("ls\u{2028}next", #""ls\u2028next""#),
        ("acme outcome=revoked", #""acme outcome=revoked""#),
        ("", #""""#),
        ("plain-value_1.2:3/4@h+x", "plain-value_1.2:3/4@h+x"),
    ])
    func valueEscaping(value: String, rendered: String) {
        let handler = JournalLogHandler(label: "t", style: .journal)
        let line = handler.format(level: .warning, message: "msg", metadata: ["account": .string(value)])
        #expect(line == "<4>msg account=" + rendered)
        #expect(!line.contains("\n") && !line.contains("\r"))
    }

    @Test("messages and keys are escaped too")
    func messageAndKeyEscaping() {
        let handler = JournalLogHandler(label: "t", style: .journal)
        let line = handler.format(level: .error, message: "first\nsecond\r\n<2>third", metadata: ["bad key\n=": "v"])
        #expect(line == #"<3>first\nsecond\r\n<2>third bad_key__=v"#)
    }

    @Test("secret-looking keys are redacted; nested values render deterministically")
    func redactionAndNesting() {
        let handler = JournalLogHandler(label: "t", style: .journal)
        let line = handler.format(
            level: .info, message: "m",
            metadata: [
                "token": "s3cr3t-session", "client_secret": "x", "labels": ["b": "2", "a": "1"],
                "ids": ["tok_1", "tok_2"],
            ]
        )
        #expect(!line.contains("s3cr3t"))
        #expect(line == #"<6>m client_secret="<redacted>" ids="[tok_1, tok_2]" labels="[a: 1, b: 2]" token="<redacted>""#)
    }

    @Test("plain style starts with an RFC 3339 UTC timestamp and the level")
    func plainStyle() throws {
        let handler = JournalLogHandler(label: "t", style: .plain)
        #expect(handler.format(level: .notice, message: "up", metadata: [:], timestamp: "T") == "T notice up")
        let line = handler.format(level: .info, message: "up", metadata: ["provider": "box"])
        let match = try #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info up provider=box$/#.wholeMatch(in: line)
        #expect(match != nil, "\(line)")
    }

    @Test("a Logger emits one newline-terminated line per event, merging handler, provider and event metadata")
    func throughLogger() {
        let capture = LineCapture()
        let provider = Logger.MetadataProvider { ["account": "from-provider", "provider": "box"] }
        var logger = Logger(label: "tokend.engine") {
            JournalLogHandler(label: $0, style: .journal, output: capture.output, logLevel: .debug, metadataProvider: provider)
        }
        logger[metadataKey: "account"] = "from-handler"
        logger[metadataKey: "lane"] = "3"
        logger.debug("attempt\nfailed", metadata: ["token_id": "tok_1", "attempt": "1"])
        logger.trace("dropped below debug")
        struct Boom: Error, CustomStringConvertible { var description: String { "timeout\nafter 10s" } }
        logger.error("revoke failed", error: Boom())

        let lines = capture.lines
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && $0.filter { $0 == "\n" }.count == 1 })
        #expect(lines.first == "<7>attempt\\nfailed token_id=tok_1 provider=box account=from-provider attempt=1 lane=3\n")
        #expect(lines.last == "<3>revoke failed provider=box account=from-provider error=\"timeout\\nafter 10s\" lane=3\n")
    }

    @Test("concurrent writers to one fd never interleave lines")
    func concurrentWrites() async throws {
        // A regular file, not a pipe: writers must never block a cooperative thread waiting for a reader.
        let directory = try TemporaryDirectory()
        let writeEnd = open(directory.file("log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        #expect(writeEnd >= 0)
        let handler = JournalLogHandler(label: "t", style: .journal, output: .fileDescriptor(writeEnd))
        let padding = String(repeating: "x", count: 300)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    let logger = Logger(label: "w") { _ in handler }
                    for index in 0..<200 {
                        logger.info("line", metadata: ["writer": "\(writer)", "index": "\(index)", "pad": "\(padding)"])
                    }
                }
            }
        }
        close(writeEnd)

        let readEnd = open(directory.file("log"), O_RDONLY | O_CLOEXEC)
        defer { close(readEnd) }
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            collected.append(contentsOf: buffer[0..<count])
        }
        let lines = String(decoding: collected, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1600)
        #expect(lines.allSatisfy { $0.hasPrefix("<6>line index=") && $0.contains(" pad=x") && $0.contains(" writer=") })
    }
}
