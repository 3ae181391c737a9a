import Foundation
import TokendClient

/// Reads a raw token from `--token-file` or stdin — never from argv, which `ps` shows to everyone.
enum TokenReader {
    static func read(file: String?) throws -> String {
        let data: Data
        if let file, file != "-" {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw CLIFailure(status: .usage, message: "cannot read the token file \(file): \(reason(error))")
            }
        } else {
            guard !Console.stdinIsTerminal else {
                throw CLIFailure(
                    status: .usage,
                    message: "refusing to read a token from a terminal: pipe it in "
                        + "(e.g. `tokenctl register … < token.txt`) or use --token-file FILE")
            }
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        do {
            return try TokenInput.token(from: data)
        } catch {
            throw CLIFailure(error)
        }
    }

    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
