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
    /// The configuration at `path` with every account passed through ``ProviderClients/validate(account:)``.
    static func load(_ path: String) throws -> Configuration {
        do {
            return try ConfigLoader.load(path: path, checkAccount: ProviderClients.validate(account:))
        } catch {
            fail(error.description)
        }
    }

    /// Exits 78 for a master key that cannot be used, naming `daemon.key_file` / `daemon.key_credential`.
    static func failKey(_ path: String, _ configuration: Configuration, _ error: any Error) -> Never {
        fail(ConfigLoader.keyError(file: path, key: configuration.daemon.key, message: "\(error)").description)
    }

    static func fail(_ line: String) -> Never {
        FileHandle.standardError.write(Data((line + "\n").utf8))
        exit(ExitStatus.config)
    }
}
