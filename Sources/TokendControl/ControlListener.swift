import TokendCore

/// Where the control server listens.
public enum ControlListener: Sendable, Hashable {
    /// Bind this path with this mode (no window of wider permissions; stale sockets replaced; a live daemon
    /// on the path is refused).
    case path(String, mode: UInt16)
    /// Adopt an already-listening socket (systemd socket activation, `LISTEN_FDS`).
    case inheritedFD(CInt)

    /// The socket-activated control fd if there is one (chosen by `ListenFDs.controlSocket`), else
    /// `control.socket` with `control.mode`.
    public static func configured(_ control: Configuration.Control, inheritedFD: CInt? = nil) -> ControlListener {
        if let inheritedFD { return .inheritedFD(inheritedFD) }
        return .path(control.socket, mode: control.mode)
    }
}
