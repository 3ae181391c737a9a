import ArgumentParser
import Foundation
import TokendClient

#if canImport(Glibc)
import Glibc
#endif

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command with a token that lives only as long as the command.",
        discussion: """
            Registers a bound token (from --token-file or stdin, or obtained with --login), starts CMD with the \
            raw token in an environment variable (--env; default FOGBUGZ_TOKEN or BOX_AUTH_TOKEN), sends a \
            heartbeat every third of --heartbeat while CMD runs, forwards SIGINT, SIGTERM and SIGHUP to it, and \
            when CMD exits releases the token and waits until it is revoked (unless --no-wait).

            If tokenctl itself dies (even by SIGKILL) the heartbeats stop and the daemon revokes the token \
            within --heartbeat plus its sweep interval.

            Exit status: CMD's (128 + N if a signal N killed it); 125 when tokenctl fails before CMD starts; \
            126/127 when CMD cannot be executed / is not found.

              tokenctl run --account acme --token-file tok.txt -- ./sync.sh
              tokenctl run --login --email me@example.com --heartbeat 30s -- python job.py
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Provider: fogbugz (default) or box.")
    var provider: String = "fogbugz"

    @Option(help: "Configured provider account (required when the provider has several).")
    var account: String?

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("Read the token from this file ('-' for stdin; the default is stdin).", valueName: "file"),
        completion: .file())
    var tokenFile: String?

    @Flag(help: "Have tokend log on to FogBugz (email and password) instead of reading a token.")
    var login = false

    @Option(help: ArgumentHelp("FogBugz email or full name for --login (else asked at the terminal).", valueName: "email"))
    var email: String?

    @Option(
        name: .customLong("password-file"),
        help: ArgumentHelp("Read the --login password from this file (else asked at the terminal, without echo).", valueName: "file"),
        completion: .file())
    var passwordFile: String?

    @Option(help: ArgumentHelp("Time to live, e.g. 8h (default: the account's).", valueName: "duration"))
    var ttl: String?

    @Option(help: ArgumentHelp("Revoke the token when no heartbeat arrives for this long.", valueName: "duration"))
    var heartbeat: String = "30s"

    @Option(name: .customLong("env"), help: ArgumentHelp("Environment variable for the token.", valueName: "NAME"))
    var envName: String?

    @Flag(name: .customLong("no-wait"), help: "After CMD exits, release the token without waiting for its revocation.")
    var noWait = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "CMD"))
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command to run after --, e.g. `-- ./job.sh`") }
        guard provider == "fogbugz" || provider == "box" else { throw ValidationError("--provider is fogbugz or box") }
        if login {
            guard provider == "fogbugz" else { throw ValidationError("--login works with --provider fogbugz only") }
            guard tokenFile == nil else { throw ValidationError("give --token-file or --login, not both") }
        } else if email != nil || passwordFile != nil {
            throw ValidationError("--email and --password-file go with --login")
        }
        if let envName {
            let valid = envName.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
                && envName.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            guard valid else { throw ValidationError("--env '\(envName)' is not a valid environment variable name") }
        }
    }

    func run() async throws {
        let heartbeatSeconds: Int
        var body: [String: JSONValue] = ["provider": .string(provider)]
        do {
            heartbeatSeconds = try DurationParser.seconds(heartbeat)
            if let ttl { body["ttl_seconds"] = .integer(Int64(try DurationParser.seconds(ttl))) }
        } catch {
            throw CLIFailure(error)
        }
        if let account { body["account"] = .string(account) }
        body["bound"] = .object(["heartbeat_seconds": .integer(Int64(heartbeatSeconds))])

        // Everything up to the spawn fails with 125 (TokenctlMain): the token is then at most bound, and dies
        // with its heartbeat window if the release below cannot run.
        let session = Session(socketPath: global.socket ?? ControlClient.defaultSocketPath(), json: false)
        let (id, token) = try await obtain(body: body, session: session)
        var environment = ProcessInfo.processInfo.environment
        environment[envName ?? (provider == "box" ? "BOX_AUTH_TOKEN" : "FOGBUGZ_TOKEN")] = token

        let beats = RunHeartbeat(
            socketPath: session.client.socketPath, id: id, interval: .milliseconds(heartbeatSeconds * 1_000 / 3))
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command, environment: environment)
        } catch {
            Console.err("tokenctl: \(error.message)\n")
            await release(id: id, session: session, wait: !noWait)
            Glibc.exit(error.exitCode)
        }
        environment = [:]
        SignalForwarder.start(forwardingTo: child.pid)
        let beating = Task { await beats.run() }
        let termination = await child.wait()
        SignalForwarder.stop()
        beating.cancel()
        await release(id: id, session: session, wait: !noWait)
        await beats.close()
        Glibc.exit(termination.exitCode)
    }

    /// Registers the bound token (or has tokend log on); returns its id and the raw token for the child.
    private func obtain(body: [String: JSONValue], session: Session) async throws -> (String, String) {
        var body = body
        let path: String
        let token: String?
        if login {
            let who: String
            if let email {
                who = email
            } else {
                guard let typed = try Terminal.readLine(prompt: "FogBugz email: ", echo: true), !typed.isEmpty else {
                    throw CLIFailure(status: .usage, message: "no email given")
                }
                who = typed
            }
            body["email"] = .string(who)
            body["password"] = .string(try PasswordReader.read(file: passwordFile, prompt: "FogBugz password for \(who): "))
            body["print_token"] = .bool(true)
            path = "/v1/logons"
            token = nil
        } else {
            let read = try TokenReader.read(file: tokenFile)
            body["token"] = .string(read)
            path = "/v1/tokens"
            token = read
        }
        let record = try session.parse(try await session.call("POST", path, body: body))
        session.printWarnings(record)
        guard let id = record["id"]?.stringValue, let raw = token ?? record["token"]?.stringValue else {
            throw CLIFailure(status: .daemonError, message: "the daemon's answer has no token id")
        }
        guard let bound = record["bound"], !bound.isNull, record["state"]?.stringValue == "active" else {
            throw CLIFailure(
                status: .daemonError,
                message: "this token is already in custody as \(id) (\(record["state"]?.displayText ?? "?"), not bound); "
                    + "tokenctl run needs a token of its own")
        }
        return (id, raw)
    }

    /// Ends the token's custody; failures are warnings (the command has run: its status is what counts, and an
    /// unreleased token still dies with its heartbeat window).
    private func release(id: String, session: Session, wait: Bool) async {
        var body: [String: JSONValue] = ["reason": .string("tokenctl run: command finished")]
        if wait {
            body["wait"] = .bool(true)
            body["timeout_seconds"] = .integer(60)
        }
        do {
            let record = try session.parse(try await session.call("POST", Session.tokenPath(id, "/release"), body: body))
            let state = record["state"]?.stringValue ?? "?"
            if wait, !["revoked", "already_revoked"].contains(state) {
                Console.err("tokenctl: warning: token \(id) is \(state) after 60 s; the daemon keeps trying\n")
            }
        } catch let failure as CLIFailure {
            Console.err("tokenctl: warning: cannot release token \(id): \(failure.message)\n")
        } catch {
            Console.err("tokenctl: warning: cannot release token \(id): \(error)\n")
        }
    }
}

/// The heartbeat loop of `tokenctl run`, on a connection of its own with a request timeout (a stuck daemon must
/// not stall it past the deadline unnoticed).
final class RunHeartbeat: Sendable {
    let client: ControlClient
    let id: String
    let interval: Duration

    init(socketPath: String, id: String, interval: Duration) {
        self.client = ControlClient(socketPath: socketPath, requestTimeout: max(interval, .seconds(1)))
        self.id = id
        self.interval = max(interval, .milliseconds(200))
    }

    /// Beats until cancelled, or until the daemon says the token can no longer be kept (then warns once).
    func run() async {
        var warnedUnreachable = false
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            do {
                let response = try await client.request("POST", Session.tokenPath(id, "/heartbeat"))
                if let error = response.apiError {
                    Console.err("tokenctl: warning: token \(id) is no longer kept alive: \(error.message)\n")
                    return
                }
                warnedUnreachable = false
            } catch {
                if Task.isCancelled { return }
                if !warnedUnreachable {
                    Console.err("tokenctl: warning: heartbeat for \(id) failed (\(error)); retrying\n")
                    warnedUnreachable = true
                }
            }
        }
    }

    func close() async { await client.close() }
}
