import Foundation
import TokendAudit
import TokendCore

/// The token registry and its audit log, at the granularity the engine and the control API need.
///
/// Two implementations: `SQLiteTokenStore` (embedded, the default) and `PostgresTokenStore` (shared by N
/// active-active instances). Both keep the same guarantees, checked by one contract suite run against each:
/// every state change is a compare-and-set plus its audit row in one transaction; a token has at most one
/// terminal audit event per custody episode; raw tokens exist only sealed; a claim is a lease that an outcome
/// must still hold (``Claim/leaseSeq``) to change anything.
public protocol TokenStore: AnyObject, AuditChainSource {
    /// `"sqlite"` or `"postgres"`, as `/v1/status` reports it.
    var kind: String { get }
    /// Where the data lives, safe for logs and status: never a password.
    var locationDescription: String { get }

    // MARK: Registration

    /// Registers one token, or returns the existing record for the same raw token and account.
    func register(_ token: NewToken, actor: Actor, limits: LiveLimits) async throws -> Registration
    /// Registers many in one transaction; per-item failures (caps) don't stop the others.
    func registerBatch(_ tokens: [NewToken], actor: Actor, limits: LiveLimits) async throws
        -> [Result<Registration, StoreError>]

    // MARK: Queries

    func token(id: String) async throws -> TokenRecord?
    /// Records whose fingerprint matches the raw token (one per account at most).
    func lookup(rawToken: String) async throws -> [TokenRecord]
    /// A page ordered by `expires_at, id`.
    func list(_ filter: TokenFilter, limit: Int, after cursor: TokenCursor?) async throws -> TokenPage
    func count(_ filter: TokenFilter) async throws -> Int
    /// Audit events newest first.
    func audit(_ query: AuditQuery) async throws -> (events: [AuditEvent], nextBeforeID: Int64?)

    // MARK: Transitions (each a CAS plus its audit row)

    func renew(id: String, expiresAt: Date, actor: Actor, reason: String?) async throws -> TokenRecord
    func requestRevoke(id: String, reason: RevocationReason, note: String?, actor: Actor, jobID: String?)
        async throws -> TransitionResult
    func forget(id: String, note: String?, actor: Actor) async throws -> TransitionResult
    func retry(id: String, actor: Actor, reason: String?) async throws -> TokenRecord

    // MARK: Bound tokens (client-held leases; see ``BoundLease``)

    /// A heartbeat of the bound token `tokenID` from its registrant `ownerUID`: the deadline moves to
    /// `now + heartbeat_seconds`. Not audited (heartbeats are frequent and change no state).
    ///
    /// Throws ``StoreError/notFound(_:)`` when the token does not exist or another uid registered it, and
    /// ``StoreError/conflict(id:state:message:)`` when it is not bound, not active, or its deadline has already
    /// passed — in which case the unbound revocation is started here, in the same transaction, exactly as the
    /// sweep would have (so the answer never depends on how late the sweep runs).
    func heartbeat(tokenID: String, ownerUID: UInt32, now: Date) async throws -> TokenRecord
    /// Ends a bound token's custody at its owner's request: `active → revoking`, reason `released`, audit
    /// `released`, due at once. Idempotent for a token already revoking or terminal (`changed` false); a token
    /// that is not bound, or was forgotten, is a conflict; another uid's token is not found.
    func release(tokenID: String, ownerUID: UInt32, note: String?, actor: Actor, now: Date) async throws
        -> TransitionResult
    /// Starts revocation (reason `unbound`, audit `heartbeat_missed`) of up to `limit` active bound tokens whose
    /// deadline is at or before `now`, each a compare-and-set plus its audit row in one transaction. Returns how
    /// many were moved.
    func revokeUnbound(now: Date, limit: Int) async throws -> Int
    /// The earliest heartbeat deadline of an active bound token, if any (the scheduler wakes for it).
    func nextHeartbeatDeadline() async throws -> Date?

    // MARK: Bulk jobs

    /// Creates a bulk job over the live tokens matching `filter` (registered up to now) and marks its first
    /// chunk; the rest is marked by ``continueBulkJobs(limit:)``, chunk by chunk, so no statement touches every
    /// matched row at once and a crash mid-way resumes from the stored job. `expectedCount`, when given, must
    /// equal the number matched.
    func startBulkRevocation(filter: TokenFilter, reason: String?, actor: Actor, expectedCount: Int?)
        async throws -> BulkJob
    /// Marks the next chunk (at most `limit` tokens, one transaction: compare-and-set `active` -> `revoking`
    /// plus one `revoke_requested` audit row each) of the oldest job still marking. Returns how many tokens it
    /// marked or found gone; 0 when no job is marking.
    func continueBulkJobs(limit: Int) async throws -> Int
    func job(id: String) async throws -> BulkJob?

    // MARK: Scheduling

    /// Releases leases whose holder is gone (crashed or lease expired); O(in-flight), never O(tokens).
    @discardableResult
    func releaseStaleLeases() async throws -> Int
    /// Claims up to `limit` due tokens of `account`, oldest due first, each under a lease.
    func claimDue(account: String, limit: Int, revokeBeforeExpiry: Duration) async throws -> [Claim]
    /// Records finished calls; an outcome whose lease was lost is audited as an attempt but changes nothing.
    func recordAttempts(_ attempts: [AttemptRecord]) async throws -> [TokenState]
    /// Gives claims back without a call (shutdown): due again at once.
    func release(_ claims: [Claim]) async throws
    /// Extends the leases of claims whose calls are still in flight.
    func renewLeases(_ claims: [Claim]) async throws
    func nextDue(account: String, revokeBeforeExpiry: Duration) async throws -> Date?
    func backlog(accounts: [String], revokeBeforeExpiry: Duration) async throws -> (due: Int, oldest: Date?)
    /// Takes up to `wanted` provider-call permits for `account` from a bucket shared by every instance
    /// (`rate_per_second` holds cluster-wide). Returns how many were granted now.
    func takeRatePermits(account: String, wanted: Int, ratePerSecond: Double, burst: Double) async throws -> Int

    // MARK: Status, hold, cluster

    func stateCounts() async throws -> StateCounts
    func holdState() async throws -> HoldState
    func setHold(_ hold: HoldState, actor: Actor, persist: Bool) async throws
    /// Live instances of the cluster (this one alone on SQLite).
    func instances() async throws -> [InstanceInfo]
    /// Records this instance's heartbeat and in-flight count.
    func heartbeat(inFlight: Int) async throws
    /// Lease length: how long a claim stays this instance's without renewal.
    var leaseDuration: Duration { get }
    /// Whether other instances share this store (PostgreSQL): the engine then renews leases, takes rate permits
    /// from the shared buckets and follows the stored hold flag.
    var isShared: Bool { get }
    /// Calls `wake` whenever another instance (or this one) makes work due now, until the task is cancelled.
    /// Reconnects by itself; returns at once for a store no other instance writes.
    func listenForWork(_ wake: @escaping @Sendable () -> Void) async

    // MARK: Retention and health

    /// Removes a prefix of the audit (rows older than `cutoff`, at most `batch`, never past the latest
    /// checkpoint) and signs a prune checkpoint naming the range and its last hash, in one transaction, so the
    /// remaining chain still verifies. Returns how many rows went.
    func pruneAudit(olderThan cutoff: Date, batch: Int, signer: CheckpointSigner) async throws -> Int

    // MARK: Audit chain

    /// The first audit id written at or after `date` (export `since`), nil when there is none.
    func firstAuditID(atOrAfter date: Date) async throws -> Int64?
    /// Signs and stores a checkpoint of the chain head, under the chain's lock. A genesis checkpoint is written
    /// first when none exists. `.interval` is skipped (nil) when the latest checkpoint is younger than
    /// `minimumAge` or no row was added since; `.manual` is skipped only when no chained row exists.
    func appendCheckpoint(kind: Checkpoint.Kind, minimumAge: Duration, signer: CheckpointSigner) async throws -> Checkpoint?
    /// True from a write failing as unavailable until ``probeWritable()`` succeeds: no provider call starts
    /// meanwhile, since its outcome might not be recordable.
    var writesFailing: Bool { get }
    func probeWritable() async -> Bool
    func databaseSize() async -> Int64
    func appliedMigrations() async throws -> [String]
    /// Integrity problems found (empty when sound).
    func integrityCheck() async throws -> [String]
    /// Makes everything durable in its final place (SQLite: checkpoint the WAL); called at shutdown.
    func flush() async throws
    /// Closes connections; the store is unusable afterwards.
    func close() async
}

extension TokenStore {
    public func register(_ token: NewToken, actor: Actor) async throws -> Registration {
        try await register(token, actor: actor, limits: .unlimited)
    }
    public func registerBatch(_ tokens: [NewToken], actor: Actor) async throws -> [Result<Registration, StoreError>] {
        try await registerBatch(tokens, actor: actor, limits: .unlimited)
    }
    public func list(_ filter: TokenFilter, limit: Int) async throws -> TokenPage {
        try await list(filter, limit: limit, after: nil)
    }
    public func renew(id: String, expiresAt: Date, actor: Actor) async throws -> TokenRecord {
        try await renew(id: id, expiresAt: expiresAt, actor: actor, reason: nil)
    }
    public func requestRevoke(id: String, reason: RevocationReason, note: String?, actor: Actor) async throws
        -> TransitionResult
    {
        try await requestRevoke(id: id, reason: reason, note: note, actor: actor, jobID: nil)
    }
    public func retry(id: String, actor: Actor) async throws -> TokenRecord {
        try await retry(id: id, actor: actor, reason: nil)
    }
    public func startBulkRevocation(filter: TokenFilter, reason: String?, actor: Actor) async throws -> BulkJob {
        try await startBulkRevocation(filter: filter, reason: reason, actor: actor, expectedCount: nil)
    }
    public func claimDue(account: String, limit: Int) async throws -> [Claim] {
        try await claimDue(account: account, limit: limit, revokeBeforeExpiry: .zero)
    }
    @discardableResult
    public func recordAttempt(_ claim: Claim, result: AttemptResult, decision: RetryPolicy.Decision) async throws
        -> TokenState
    {
        try await recordAttempts([AttemptRecord(claim: claim, result: result, decision: decision)])[0]
    }
    public func nextDue(account: String) async throws -> Date? {
        try await nextDue(account: account, revokeBeforeExpiry: .zero)
    }
    public func backlog(accounts: [String]) async throws -> (due: Int, oldest: Date?) {
        try await backlog(accounts: accounts, revokeBeforeExpiry: .zero)
    }
    public func setHold(_ hold: HoldState, actor: Actor) async throws {
        try await setHold(hold, actor: actor, persist: true)
    }
    public func pruneAudit(olderThan cutoff: Date, signer: CheckpointSigner) async throws -> Int {
        try await pruneAudit(olderThan: cutoff, batch: 1_000, signer: signer)
    }
}
