import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The command `tokenctl run` starts: spawned with `posix_spawnp` in tokenctl's own process group (so the
/// terminal treats it as the foreground job, as a shell would), with default signal dispositions and an empty
/// signal mask whatever tokenctl's own are.
final class ChildProcess: Sendable {
    /// How the command ended.
    enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)

        /// The shell's convention: the exit status, or 128 + the signal number.
        var exitCode: Int32 {
            switch self {
            case .exited(let status): status
            case .signalled(let signal): 128 + signal
            }
        }
    }

    /// Why the command could not start, with the status a shell would give (127 not found, 126 not executable).
    struct SpawnError: Error {
        var message: String
        var exitCode: Int32
    }

    let pid: pid_t

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `arguments[0]` (searched in `PATH`) with `arguments` and `environment`.
    static func spawn(_ arguments: [String], environment: [String: String]) throws(SpawnError) -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            // The environment holds the raw token: wipe it before giving the memory back.
            for pointer in envp {
                if let pointer { memset(pointer, 0, strlen(pointer)) }
                free(pointer)
            }
        }
        var pid: pid_t = 0
        let status = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envBuffer in
                posix_spawnp(
                    &pid, arguments[0], nil, &attributes,
                    UnsafeMutablePointer(mutating: argvBuffer.baseAddress!),
                    UnsafeMutablePointer(mutating: envBuffer.baseAddress!))
            }
        }
        guard status == 0 else {
            let reason = String(cString: strerror(status))
            throw SpawnError(
                message: "cannot run \(arguments[0]): \(reason)", exitCode: status == ENOENT ? 127 : 126)
        }
        return ChildProcess(pid: pid)
    }

    /// Waits (on a thread of its own: `waitpid` blocks) until the command ends.
    func wait() async -> Termination {
        let pid = self.pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 {
                    if errno != EINTR {
                        continuation.resume(returning: .exited(127))
                        return
                    }
                }
                // WIFEXITED / WTERMSIG, spelled out: the C macros are not imported.
                let signal = status & 0x7F
                continuation.resume(returning: signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal))
            }
        }
    }
}

/// Forwards SIGINT, SIGTERM and SIGHUP sent to tokenctl to the child.
///
/// A signal the kernel generated for the terminal's foreground process group (Ctrl-C, a hang-up) already
/// reached the child, which shares tokenctl's process group; forwarding it again would deliver it twice. Those
/// are recognised by `si_code == SI_KERNEL` and not forwarded; anything sent with `kill` (a supervisor, a
/// `kill PID`) is. The handler only writes to a pipe (async-signal-safe); a thread does the forwarding.
enum SignalForwarder {
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    private static let target = Mutex<pid_t>(0)

    /// Starts forwarding to `pid`.
    static func start(forwardingTo pid: pid_t) {
        target.withLock { $0 = pid }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        signalPipe = fds[1]
        let readEnd = fds[0]
        Thread.detachNewThread {
            var message: (UInt8, UInt8) = (0, 0)
            while true {
                let count = withUnsafeMutableBytes(of: &message) { read(readEnd, $0.baseAddress, 2) }
                if count < 0 && errno == EINTR { continue }
                guard count == 2 else { return }
                let pid = target.withLock { $0 }
                if pid > 0 && message.1 == 0 { kill(pid, Int32(message.0)) }
            }
        }
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = onSignal
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// Stops forwarding (the child has been reaped: its pid may be reused) and restores default dispositions.
    static func stop() {
        target.withLock { $0 = 0 }
        for signal in signals { Glibc.signal(signal, SIG_DFL) }
    }
}

/// Write end of the forwarder's pipe; set once before the handlers are installed.
nonisolated(unsafe) private var signalPipe: Int32 = -1

private func onSignal(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    let saved = errno
    // 0x80 is SI_KERNEL (<bits/siginfo-consts.h>, not imported); a literal, since a lazily initialised global
    // is not safe to touch in a signal handler.
    let fromKernel: UInt8 = info?.pointee.si_code == 0x80 ? 1 : 0
    var message: (UInt8, UInt8) = (UInt8(truncatingIfNeeded: signal), fromKernel)
    _ = withUnsafeBytes(of: &message) { write(signalPipe, $0.baseAddress, 2) }
    errno = saved
}
