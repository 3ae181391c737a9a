import ArgumentParser
import Foundation
import TokendConfig
import TokendCore
import TokendProviders

#if canImport(Glibc)
import Glibc
#endif

/// Loads and validates the configuration, or prints one line naming file, line and key and exits 78.
enum ConfigFile {
    static func load(_ path: String) throws -> Configuration {
        do {
            let configuration = try ConfigLoader.load(path: path)
            for (index, account) in configuration.accounts.enumerated() {
                if let problem = ProviderClients.validate(account: account) {
                    let table = account.provider == .fogbugz ? "fogbugz" : "box"
                    let position = configuration.accounts.filter { $0.provider == account.provider }
                        .firstIndex { $0.name == account.name } ?? index
                    fail("tokend: \(path): \(table)[\(position)].base_url: \(problem)")
                }
            }
            return configuration
        } catch {
            fail(error.description)
        }
    }

    static func fail(_ line: String) -> Never {
        FileHandle.standardError.write(Data((line + "\n").utf8))
        exit(ExitStatus.config)
    }
}
