import ArgumentParser
import Foundation
import Logging
import TokendCore
import TokendPostgres
import TokendSQLite
import TokendStore

/// Opens the store `daemon.database` names: the SQLite file, or the shared PostgreSQL database.
enum StoreOpener {
    static func open(_ configuration: Configuration, sealer: Sealer, logger: Logger) async throws -> any TokenStore {
        switch configuration.daemon.store {
        case .sqlite(let path):
            return try SQLiteTokenStore(path: path, sealer: sealer, logger: logger)
        case .postgres(let location):
            return try await PostgresTokenStore(
                location: location, sealer: sealer, leaseDuration: configuration.daemon.lease, logger: logger)
        }
    }
}
