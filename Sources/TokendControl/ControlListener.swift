import TokendCore

/// Where the control server listens.
public enum ControlListener: Sendable, Hashable {
    /// Bind this path with this mode (no window of wider permissions; stale sockets replaced; a live daemon
    /// on the path is refused).
    case path(String, mode: UInt16)
    /// Adopt an already-listening socket (systemd socket activation, `LISTEN_FDS`).
    case inheritedFD(CInt)

    /// The first socket-activated fd if there is one, else `control.socket` with `control.mode`.
    public static func configured(_ control: Configuration.Control, inheritedFDs: [CInt] = []) -> ControlListener {
        if let fd = inheritedFDs.first { return .inheritedFD(fd) }
        return .path(control.socket, mode: control.mode)
    }
}
