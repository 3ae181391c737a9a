import ArgumentParser

/// The root command: only a list of verbs (see `TokenctlMain` for the entry point).
struct Tokenctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenctl",
        abstract: "Drive tokend, the FogBugz/Box session-token custodian, through its control socket.",
        discussion: """
            Global options --socket PATH and --json may be given before or after the verb.
            The socket defaults to $TOKEND_SOCKET, else /run/tokend/control.sock.
            Tokens are read from stdin or --token-file, never from the command line.

            Exit codes: 0 ok, 1 error from the daemon, 2 usage, 3 cannot connect.
            """,
        version: "tokenctl 0.1.0",
        subcommands: [
            Register.self, List.self, Show.self, Lookup.self, Renew.self, Revoke.self, Forget.self,
            Retry.self, RevokeBulk.self, Job.self, Audit.self, Sweep.self, Hold.self, Resume.self,
            Status.self, Run.self, Login.self,
        ]
    )

    func run() async throws {
        Console.err(Tokenctl.helpMessage() + "\n\n")
        throw CLIFailure(status: .usage, message: "missing verb")
    }
}
