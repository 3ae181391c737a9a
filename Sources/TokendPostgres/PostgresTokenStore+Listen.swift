import Foundation
import Logging
import PostgresNIO
import TokendStore

extension PostgresTokenStore {
    public var isShared: Bool { true }

    /// LISTEN `tokend_work` on one pooled connection; on any error (PostgreSQL restarting, connection lost)
    /// waits a second and listens again. The scheduler's periodic sweep covers notifications missed meanwhile.
    public func listenForWork(_ wake: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.workChannel) { notifications in
                        // Work may have fallen due while nobody listened.
                        wake()
                        for try await _ in notifications { wake() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("LISTEN interrupted; listening again", metadata: ["error": "\(Self.describe(error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    static let workChannel = "tokend_work"
}
