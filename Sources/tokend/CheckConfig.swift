import ArgumentParser
import TokendConfig

/// `tokend check-config`: validates the file and prints the effective configuration, secrets redacted.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the configuration and print it with secrets redacted.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try ConfigFile.load(options.config)
        print(describe(configuration), terminator: "")
    }
}
