/// tokenctl's exit codes, fixed by the contract.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The daemon did what was asked.
    case ok = 0
    /// The daemon answered with an error (or with something that is not HTTP); the message was printed.
    case daemonError = 1
    /// The command line was wrong; nothing was sent.
    case usage = 2
    /// The control socket could not be opened.
    case cannotConnect = 3
    /// `tokenctl run` failed itself before its command started (as `env` and `timeout` use 125); once the
    /// command has run, `run` exits with the command's own status instead.
    case runFailed = 125

    /// The status for a failure thrown while talking to the daemon or preparing the request:
    /// ``UsageError`` → `.usage`, ``ControlClientError/cannotConnect(path:reason:)`` → `.cannotConnect`,
    /// anything else (an API error, a protocol error, a dropped connection) → `.daemonError`.
    public static func forError(_ error: any Error) -> ExitStatus {
        switch error {
        case is UsageError: .usage
        case ControlClientError.cannotConnect: .cannotConnect
        default: .daemonError
        }
    }

    /// Maps the exit code ArgumentParser chose for a parsing outcome onto the contract's codes:
    /// 0 stays 0 (help, completion scripts), `EX_USAGE` (64) and other parser failures become 2,
    /// and codes that already follow the contract (1, 3) are kept.
    public static func forParserExitCode(_ code: Int32) -> ExitStatus {
        switch code {
        case 0: .ok
        case 1: .daemonError
        case 3: .cannotConnect
        default: .usage
        }
    }
}
