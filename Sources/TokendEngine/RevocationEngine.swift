import Foundation
import Logging
import ServiceLifecycle
import TokendCore
import TokendStore

/// The control surface of the scheduler, as the control API sees it.
///
/// The scheduler itself runs as a `Service`; this protocol is what request handlers call.
public protocol RevocationControl: Sendable {
    /// New due work exists (a registration or revoke request due sooner than the scheduler knows): wake now.
    func wake()
    /// Run a pass now (`POST /v1/sweep`, SIGUSR1).
    func sweep()
    /// Token `id` was forgotten while the scheduler held a claim of it (`TransitionResult.interruptedClaim`):
    /// the claim is dropped unless its provider call has already started. Call after the change committed.
    func forgotten(id: String)
    /// Enter hold: no provider calls until resumed. Persisted and audited.
    func hold(reason: String, actor: Actor) async throws
    /// Leave hold (also clears a breaker trip). Persisted and audited.
    func resume(actor: Actor) async throws
    /// Waits until token `id` reaches a terminal state or `timeout` passes; returns the latest record.
    func waitForTerminal(id: String, timeout: Duration) async throws -> TokenRecord?
    /// Current status snapshot.
    func status() -> EngineStatus
}
