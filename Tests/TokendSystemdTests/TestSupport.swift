import Glibc

/// A temporary directory removed (recursively) on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/tokend-systemd-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw TestFailure("open \(name): errno \(errno)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw TestFailure("short write") }
    }

    deinit {
        // Only ever our own mkdtemp directory.
        _ = system("rm -rf '\(path)'")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Fills a `sockaddr_un` for a path or an abstract name (`@name`) and calls `body` with it and its length.
func withUnixAddress<T>(_ address: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var path = Array(address.utf8)
    let abstract = path.first == UInt8(ascii: "@")
    if abstract { path[0] = 0 }
    var storage = sockaddr_un()
    storage.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: path) }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
    return withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
    }
}

/// A stand-in for systemd's notification socket: an AF_UNIX datagram socket bound to a path or abstract name.
final class NotifyReceiver {
    let fd: CInt
    /// The value to put in `NOTIFY_SOCKET`.
    let address: String
    private let directory: TemporaryDirectory?

    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        if abstract {
            directory = nil
            address = "@tokend-notify-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        } else {
            let directory = try TemporaryDirectory()
            self.directory = directory
            address = directory.file("notify.sock")
        }
        let bound = withUnixAddress(address) { bind(fd, $0, $1) }
        guard bound == 0 else { throw TestFailure("bind \(address): errno \(errno)") }
    }

    /// The next datagram, or `nil` after `timeout`.
    func receive(timeout: Duration = .seconds(2)) -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// The next datagram, or `nil` after `timeout`, without blocking a cooperative thread (tests share a small
    /// pool with the services under test).
    func next(timeout: Duration = .seconds(3)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = receive(timeout: .zero) { return message }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return receive(timeout: .zero)
    }

    /// Every datagram already queued.
    func drain() -> [String] {
        var messages: [String] = []
        while let message = receive(timeout: .zero) { messages.append(message) }
        return messages
    }

    deinit { close(fd) }
}

/// A socket bound to `path` (stream sockets optionally listening).
func makeUnixSocket(type: Int32, path: String, listening: Bool) throws -> CInt {
    let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
    guard withUnixAddress(path, { bind(fd, $0, $1) }) == 0 else { throw TestFailure("bind: errno \(errno)") }
    if listening { guard listen(fd, 8) == 0 else { throw TestFailure("listen: errno \(errno)") } }
    return fd
}

/// The lowest fd ≥ `from` such that `count` consecutive fds are all unused.
func freeDescriptorRange(count: CInt, from: CInt = 400) -> CInt {
    var candidate = from
    while true {
        if (0..<count).allSatisfy({ fcntl(candidate + $0, F_GETFD) == -1 && errno == EBADF }) { return candidate }
        candidate += count
    }
}
