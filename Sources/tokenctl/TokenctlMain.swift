import ArgumentParser
import Foundation
import TokendClient

/// Entry point: ArgumentParser's own `main()` exits 64 on usage errors, the contract wants 2, and
/// global options must also work before the verb — so parsing and exit codes are handled here.
@main
enum TokenctlMain {
    static func main() async {
        let arguments = ArgumentNormalizer.normalize(Array(CommandLine.arguments.dropFirst()))
        var status = await run(arguments)
        // `run` exits with its command's status once the command has started (Run.swift); anything that ends it
        // here failed before that, usage errors included, and must not look like a status of the command.
        if arguments.first == "run", status != .ok { status = .runFailed }
        exit(status.rawValue)
    }

    static func run(_ arguments: [String]) async -> ExitStatus {
        do {
            var command = try Tokenctl.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return .ok
        } catch let failure as CLIFailure {
            if !failure.message.isEmpty { Console.err("tokenctl: \(failure.message)\n") }
            return failure.status
        } catch let error as UsageError {
            Console.err("tokenctl: \(error.message)\n")
            return .usage
        } catch {
            let code = Tokenctl.exitCode(for: error).rawValue
            let status = ExitStatus.forParserExitCode(code)
            let message = Tokenctl.fullMessage(for: error)
            if status == .ok {
                if !message.isEmpty { Console.out(message + "\n") }
            } else if !message.isEmpty {
                Console.err(message + "\n")
            }
            return status
        }
    }
}
