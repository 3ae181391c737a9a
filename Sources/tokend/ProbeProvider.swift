import ArgumentParser
import Foundation
import Logging
import TokendCore
import TokendProviders

/// `tokend probe-provider`: logs off a deliberately invalid token and prints the classification.
/// `already_revoked` means the account's URL, API variant and credentials work.
struct ProbeProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-provider",
        abstract: "Send a logoff for an invalid token to one account and print how the answer was classified.")

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "The account name from the configuration.")
    var account: String

    func run() async throws {
        let configuration = try ConfigFile.load(options.config)
        guard let target = configuration.account(named: account) else {
            let names = configuration.accounts.map(\.name).joined(separator: ", ")
            throw ValidationError("no account named '\(account)' (configured: \(names))")
        }
        let clients = ProviderClients(accounts: [target], logger: Logger(label: "tokend.probe"))
        let result = await clients.probe(account: target)
        try? await clients.shutdown()
        let status = result.httpStatus.map(String.init) ?? "-"
        print(
            "\(target.name): \(result.outcome.name)  http=\(status)  \(result.duration.milliseconds) ms"
                + (result.outcome.detail.map { "  detail: \($0)" } ?? ""))
        switch result.outcome {
        case .alreadyRevoked, .revoked: return
        case .permanent, .transient: throw ExitCode(1)
        }
    }
}
