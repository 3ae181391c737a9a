import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Process entry point: fixes the signal mask, then runs the command line.
@main
enum TokendMain {
    static func main() async {
        // A parent can leave signals blocked (the mask survives exec): the signals this daemon acts on must reach
        // it. Done first, on the main thread, so that every thread started later inherits the unblocked mask.
        var handled = sigset_t()
        sigemptyset(&handled)
        for number in [SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT] { sigaddset(&handled, number) }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        await Tokend.main()
    }
}

/// `tokend`: custody and revocation of FogBugz and Box session tokens.
struct Tokend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokend",
        abstract: "Keeps FogBugz and Box session tokens in custody and logs them off when they expire.",
        version: TokendVersion.current,
        subcommands: [Serve.self, CheckConfig.self, CheckDB.self, ProbeProvider.self, VerifyAudit.self, AuditPublicKey.self],
        defaultSubcommand: Serve.self
    )
}

enum TokendVersion {
    static let current = "0.1.0"
}

/// Options shared by every subcommand that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String = "/etc/tokend/tokend.toml"
}

/// sysexits(3) codes used by the daemon.
enum ExitStatus {
    /// EX_CONFIG: the configuration (or the key it names) is unusable.
    static let config: Int32 = 78
    /// EX_UNAVAILABLE: the database or socket cannot be used.
    static let unavailable: Int32 = 69
    /// EX_TEMPFAIL: another daemon holds the database.
    static let busy: Int32 = 75
}
