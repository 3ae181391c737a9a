import Foundation
import TokendClient

#if canImport(Glibc)
import Glibc
#endif

/// Reads a password from `--password-file` or from the terminal with echo off — never from argv or the
/// environment, which other users (`ps`) or child processes can see.
enum PasswordReader {
    /// The password from `file` (one trailing line ending stripped), else typed at `/dev/tty` after `prompt`.
    static func read(file: String?, prompt: String) throws -> String {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIFailure(status: .usage, message: "cannot read the password file \(file)")
            }
            do {
                return try TokenInput.token(from: data)
            } catch {
                throw CLIFailure(status: .usage, message: "the password file \(file) is empty or not UTF-8")
            }
        }
        guard let typed = try Terminal.readLine(prompt: prompt, echo: false), !typed.isEmpty else {
            throw CLIFailure(status: .usage, message: "no password given")
        }
        return typed
    }
}

/// The controlling terminal (`/dev/tty`), independent of where stdin and stdout point.
enum Terminal {
    /// One line typed at the terminal after `prompt`; with `echo` false the terminal does not show it (termios
    /// `ECHO` off, restored afterwards). Throws a usage failure when there is no terminal to ask.
    static func readLine(prompt: String, echo: Bool) throws -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else {
            throw CLIFailure(
                status: .usage,
                message: "no terminal to ask on; give --password-file FILE (and --email E)")
        }
        defer { close(fd) }
        var saved = termios()
        let isTerminal = tcgetattr(fd, &saved) == 0
        if !echo && isTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer { if !echo && isTerminal { _ = tcsetattr(fd, TCSAFLUSH, &saved) } }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
