import Foundation
import Logging
import NIOSSL
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    /// Opens the store `location` names (config `daemon.database`), as one instance of a cluster.
    public convenience init(
        location: PostgresLocation, sealer: Sealer, leaseDuration: Duration = .seconds(30), logger: Logger? = nil
    ) async throws {
        try await self.init(
            configuration: Self.clientConfiguration(location), description: location.description, sealer: sealer,
            leaseDuration: leaseDuration, logger: logger)
    }

    /// libpq's `sslmode` as postgres-nio's TLS setting: `prefer`/`allow` try TLS, `require` insists without
    /// checking the certificate (as libpq does), `verify-ca`/`verify-full` check it against the system roots.
    static func clientConfiguration(_ location: PostgresLocation) -> PostgresClient.Configuration {
        if let socket = location.socketPath {
            return PostgresClient.Configuration(
                unixSocketPath: socket, username: location.user, password: location.password?.value,
                database: location.database)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        let mode: PostgresClient.Configuration.TLS
        switch location.sslMode {
        case .disable: mode = .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            mode = .prefer(tls)
        case .require:
            tls.certificateVerification = .none
            mode = .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            mode = .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            mode = .require(tls)
        }
        return PostgresClient.Configuration(
            host: location.host ?? "localhost", port: location.port, username: location.user,
            password: location.password?.value, database: location.database, tls: mode)
    }
}
