import Glibc
import Testing
@testable import TokendSystemd

@Suite("LISTEN_FDS")
struct ListenFDsTests {
    let pid = getpid()

    @Test("nothing passed, or passed to another process")
    func absent() throws {
        #expect(try ListenFDs.parse(environment: [:], processID: pid).isEmpty)
        #expect(try ListenFDs.parse(environment: ["LISTEN_PID": "\(pid + 1)", "LISTEN_FDS": "1"], processID: pid).isEmpty)
        #expect(try ListenFDs.parse(environment: ["LISTEN_PID": "\(pid)"], processID: pid).isEmpty)
        #expect(try ListenFDs.parse(environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "0"], processID: pid).isEmpty)
    }

    @Test("fds start at 3 and carry their names")
    func named() throws {
        let fds = try ListenFDs.parse(
            environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "control:metrics"],
            processID: pid
        )
        #expect(fds == [ListenedFD(fd: 3, name: "control"), ListenedFD(fd: 4, name: "metrics")])
        #expect(ListenFDs.select(fds, named: "metrics")?.fd == 4)
        #expect(ListenFDs.select(fds, named: "absent") == nil)
    }

    @Test("without LISTEN_FDNAMES names are 'unknown'; a single fd is selected whatever its name")
    func unnamed() throws {
        let fds = try ListenFDs.parse(environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "1"], processID: pid)
        #expect(fds == [ListenedFD(fd: 3, name: "unknown")])
        #expect(ListenFDs.select(fds, named: "control")?.fd == 3)
    }

    @Test("malformed values are errors", arguments: [
        (["LISTEN_PID": "abc", "LISTEN_FDS": "1"], SystemdError.invalidEnvironment(name: "LISTEN_PID", value: "abc")),
        (["LISTEN_PID": "SELF", "LISTEN_FDS": "-1"], SystemdError.invalidEnvironment(name: "LISTEN_FDS", value: "-1")),
        (["LISTEN_PID": "SELF", "LISTEN_FDS": "x"], SystemdError.invalidEnvironment(name: "LISTEN_FDS", value: "x")),
        (["LISTEN_PID": "SELF", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "control"], SystemdError.fdNameCountMismatch(fds: 2, names: 1)),
    ])
    func malformed(environment: [String: String], expected: SystemdError) {
        var environment = environment
        if environment["LISTEN_PID"] == "SELF" { environment["LISTEN_PID"] = "\(pid)" }
        #expect(throws: expected) { try ListenFDs.parse(environment: environment, processID: pid) }
    }

    @Test("adopt marks real passed fds close-on-exec and they check as listening AF_UNIX stream sockets")
    func adoptRealDescriptors() throws {
        let directory = try TemporaryDirectory()
        let listener = try makeUnixSocket(type: Int32(SOCK_STREAM.rawValue), path: directory.file("control.sock"), listening: true)
        defer { close(listener) }
        // fds 3+ may be in use by the test runner, so place the "passed" fds in a free range and point the parser there.
        let first = freeDescriptorRange(count: 2)
        #expect(dup2(listener, first) == first)  // dup2 clears FD_CLOEXEC, like an fd inherited over exec
        #expect(dup2(listener, first + 1) == first + 1)
        defer { close(first); close(first + 1) }
        #expect(fcntl(first, F_GETFD) & FD_CLOEXEC == 0)

        let fds = try ListenFDs.adopt(
            environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "control:spare"],
            processID: pid, unsetEnvironment: false, firstFD: first
        )
        #expect(fds.map(\.fd) == [first, first + 1])
        for listened in fds {
            #expect(fcntl(listened.fd, F_GETFD) & FD_CLOEXEC != 0)
            #expect(ListenFDs.isListeningUnixStreamSocket(listened.fd))
            #expect(ListenFDs.isListeningUnixStreamSocket(listened.fd, path: directory.file("control.sock")))
            #expect(!ListenFDs.isListeningUnixStreamSocket(listened.fd, path: directory.file("other.sock")))
        }
    }

    @Test("the socket check refuses datagram, unlistening, non-unix sockets and files")
    func socketCheck() throws {
        let directory = try TemporaryDirectory()
        let datagram = try makeUnixSocket(type: Int32(SOCK_DGRAM.rawValue), path: directory.file("d.sock"), listening: false)
        defer { close(datagram) }
        #expect(!ListenFDs.isListeningUnixStreamSocket(datagram))

        let idle = try makeUnixSocket(type: Int32(SOCK_STREAM.rawValue), path: directory.file("s.sock"), listening: false)
        defer { close(idle) }
        #expect(!ListenFDs.isListeningUnixStreamSocket(idle))

        let abstractName = "@tokend-listen-test-\(pid)-\(UInt32.random(in: 0...UInt32.max))"
        let abstract = try makeUnixSocket(type: Int32(SOCK_STREAM.rawValue), path: abstractName, listening: true)
        defer { close(abstract) }
        #expect(ListenFDs.isListeningUnixStreamSocket(abstract, path: abstractName))

        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(tcp) }
        #expect(listen(tcp, 1) == 0)  // binds an ephemeral port on 0.0.0.0
        #expect(!ListenFDs.isListeningUnixStreamSocket(tcp))

        try directory.write("plain", [1, 2, 3])
        let file = open(directory.file("plain"), O_RDONLY | O_CLOEXEC)
        defer { close(file) }
        #expect(!ListenFDs.isListeningUnixStreamSocket(file))
        #expect(!ListenFDs.isListeningUnixStreamSocket(-1))
    }

    @Test("the control socket is the fd named 'control', else the only one, and must listen on AF_UNIX stream")
    func controlSocketSelection() throws {
        let directory = try TemporaryDirectory()
        let listening = try makeUnixSocket(type: Int32(SOCK_STREAM.rawValue), path: directory.file("c.sock"), listening: true)
        defer { close(listening) }
        let idle = try makeUnixSocket(type: Int32(SOCK_STREAM.rawValue), path: directory.file("i.sock"), listening: false)
        defer { close(idle) }

        #expect(try ListenFDs.controlSocket([]) == nil)
        // Not the first fd: the one named "control".
        let named = [ListenedFD(fd: idle, name: "metrics"), ListenedFD(fd: listening, name: "control")]
        #expect(try ListenFDs.controlSocket(named) == listening)
        #expect(try ListenFDs.controlSocket([ListenedFD(fd: listening, name: "unknown")]) == listening)
        #expect(throws: SystemdError.noSocketNamed("control", names: ["a", "b"])) {
            try ListenFDs.controlSocket([ListenedFD(fd: listening, name: "a"), ListenedFD(fd: idle, name: "b")])
        }
        #expect(throws: SystemdError.notAListeningUnixStreamSocket(fd: idle, name: "control")) {
            try ListenFDs.controlSocket([ListenedFD(fd: listening, name: "x"), ListenedFD(fd: idle, name: "control")])
        }
    }
}

/// Touches the real process environment, so it is kept apart and serialized.
@Suite("LISTEN_FDS process environment", .serialized)
struct ListenFDsEnvironmentTests {
    @Test("adopt() unsets LISTEN_* even when they name another process")
    func unsetsEnvironment() throws {
        setenv("LISTEN_PID", "1", 1)
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "control", 1)
        #expect(try ListenFDs.adopt().isEmpty)
        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
    }
}
