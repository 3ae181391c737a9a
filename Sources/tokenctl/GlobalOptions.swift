import ArgumentParser
import TokendClient

/// `--socket` and `--json`, declared by every verb; `ArgumentNormalizer` moves them there when they
/// are typed before the verb.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Control socket path (default: $TOKEND_SOCKET, else /run/tokend/control.sock).",
            valueName: "path"),
        completion: .file())
    var socket: String?

    @Flag(name: .long, help: "Print the API's JSON answer unchanged.")
    var json = false

    /// A session talking to the chosen socket.
    func session() -> Session {
        Session(socketPath: socket ?? ControlClient.defaultSocketPath(), json: json)
    }
}
