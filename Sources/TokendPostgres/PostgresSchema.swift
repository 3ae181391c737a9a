import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema as numbered migrations, applied at start under an advisory lock so that N instances
/// starting together migrate once. Never edit a shipped migration: add one.
enum PostgresSchema {
    /// The newest schema this binary knows; a database at a newer version refuses to open.
    static let version = migrations.keys.max()!

    /// `pg_advisory_xact_lock` key: "tokend" in ASCII.
    static let migrationLock: Int64 = 0x746f_6b65_6e64

    static let terminalActions = "('revoked','already_revoked','failed','forgotten')"

    static let migrations: [Int: String] = [1: v1, 3: v3Bound, 4: v4ChunkedBulk, 5: v5AuditChain, 6: v6BulkCursor]

    /// Held by every transaction from its first audit row to its commit: the chain's one total order across
    /// all instances (docs/audit.md, "Order in a cluster").
    static let chainLock: Int64 = 0x746f_6b65_6e65

    /// The audit hash chain. A BEFORE INSERT trigger takes the chain lock, reads the last row (READ COMMITTED:
    /// each statement sees what the lock's previous holder committed), numbers the row after it and hashes it
    /// with the canonical encoding of docs/audit.md, so every insert path (single rows, registration batches,
    /// bulk marking) is chained alike. `tokend verify-audit` re-implements the encoding in Swift; the shared
    /// store tests check that both agree.
    static let v5AuditChain = """
        ALTER TABLE audit ADD COLUMN prev_hash bytea;
        ALTER TABLE audit ADD COLUMN hash bytea;
        CREATE TABLE audit_checkpoints (
            id bigint PRIMARY KEY,
            audit_id bigint NOT NULL,
            hash bytea NOT NULL,
            at bigint NOT NULL,
            count bigint NOT NULL,
            kind text NOT NULL,
            pruned_through bigint,
            pruned_hash bytea,
            signature bytea NOT NULL
        );
        CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit checkpoints are append-only: % refused', TG_OP;
        END $$;
        CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
            FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
        CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();
        CREATE FUNCTION audit_enc(v bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN v IS NULL THEN decode('00', 'hex') ELSE decode('01', 'hex') || int8send(v) END
        $$;
        CREATE FUNCTION audit_enc(v text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN v IS NULL THEN decode('00', 'hex')
                   ELSE decode('02', 'hex') || int4send(octet_length(convert_to(v, 'UTF8'))) || convert_to(v, 'UTF8') END
        $$;
        CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            last_id bigint;
            last_hash bytea;
        BEGIN
            IF current_setting('transaction_isolation') <> 'read committed' THEN
                RAISE EXCEPTION 'audit rows can only be chained under READ COMMITTED';
            END IF;
            PERFORM pg_advisory_xact_lock(\(chainLock));
            SELECT id, hash INTO last_id, last_hash FROM audit ORDER BY id DESC LIMIT 1;
            NEW.id := coalesce(last_id, 0) + 1;
            NEW.prev_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
            NEW.hash := sha256(NEW.prev_hash || audit_enc(NEW.id) || audit_enc(NEW.at) || audit_enc(NEW.token_id)
                || audit_enc(NEW.episode) || audit_enc(NEW.action) || audit_enc(NEW.actor_uid)
                || audit_enc(NEW.actor_pid) || audit_enc(NEW.actor_role) || audit_enc(NEW.actor_system)
                || audit_enc(NEW.reason) || audit_enc(NEW.provider_status) || audit_enc(NEW.provider_detail)
                || audit_enc(NEW.duration_ms) || audit_enc(NEW.attempt) || audit_enc(NEW.job_id));
            RETURN NEW;
        END $$;
        CREATE TRIGGER audit_chain BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_chain();
        """

    /// A bulk job's marking cursor, as SQLite's `v8-bulk-cursor`.
    static let v6BulkCursor = """
        ALTER TABLE jobs
            ADD COLUMN mark_after_at bigint,
            ADD COLUMN mark_after_id text,
            ADD COLUMN mark_pass integer NOT NULL DEFAULT 0;
        """

    /// Chunked, resumable bulk jobs, as SQLite's `v6-chunked-bulk`.
    static let v4ChunkedBulk = """
        ALTER TABLE jobs
            ADD COLUMN actor_pid bigint,
            ADD COLUMN actor_role text,
            ADD COLUMN actor_system text,
            ADD COLUMN filter_json text,
            ADD COLUMN marking boolean NOT NULL DEFAULT false,
            ADD COLUMN marked bigint;
        CREATE INDEX jobs_marking ON jobs (created_at, id) WHERE marking;
        """

    /// Bound tokens (client-held leases), as SQLite's `v5-bound`: the lease columns and a partial index over
    /// the deadlines of active bound tokens only (the sweep and the wake-up walk it from the front; the
    /// condition is stated literally in their queries so that the planner can use it).
    static let v3Bound = """
        ALTER TABLE tokens
            ADD COLUMN heartbeat_seconds bigint,
            ADD COLUMN last_heartbeat_at bigint,
            ADD COLUMN heartbeat_deadline bigint;
        CREATE INDEX tokens_heartbeat_due ON tokens (heartbeat_deadline)
            WHERE state = 'active' AND heartbeat_deadline IS NOT NULL;
        """

    static let v1 = """
        CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);

        CREATE TABLE tokens (
            id text PRIMARY KEY,
            provider text NOT NULL CHECK (provider IN ('fogbugz','box')),
            account text NOT NULL,
            owner text NOT NULL,
            labels jsonb NOT NULL DEFAULT '{}',
            state text NOT NULL CHECK (state IN
                ('active','revoking','revoked','already_revoked','failed','forgotten')),
            fingerprint text NOT NULL,
            sealed bytea,
            issued_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            last_renewed_at bigint,
            registered_by_uid bigint NOT NULL,
            attempts bigint NOT NULL DEFAULT 0,
            next_attempt_at bigint,
            last_error text,
            revoked_at bigint,
            revocation_reason text,
            revocation_note text,
            episode bigint NOT NULL DEFAULT 1,
            -- The lease: which instance holds the claim, and the fencing counter every outcome must match.
            -- While leased, next_attempt_at is the lease's expiry, so an expired lease is simply due work.
            lease_owner text,
            lease_seq bigint NOT NULL DEFAULT 0,
            quarantine text,
            job_id text,
            UNIQUE (account, fingerprint)
        ) WITH (fillfactor = 85);
        -- Due work, per account, only over the rows that can be due (partial: the bulk of a million tokens is
        -- terminal and never enters these indexes).
        CREATE INDEX tokens_due_expiry ON tokens (account, expires_at) WHERE state = 'active' AND quarantine IS NULL;
        CREATE INDEX tokens_due_revoking ON tokens (account, next_attempt_at)
            WHERE state = 'revoking' AND quarantine IS NULL;
        CREATE INDEX tokens_due_failed ON tokens (account, next_attempt_at) WHERE state = 'failed' AND quarantine IS NULL;
        CREATE INDEX tokens_owner ON tokens (owner, expires_at, id);
        CREATE INDEX tokens_uid ON tokens (registered_by_uid, expires_at, id);
        CREATE INDEX tokens_expiry ON tokens (expires_at, id);
        CREATE INDEX tokens_labels ON tokens USING gin (labels jsonb_path_ops) WHERE labels <> '{}';
        CREATE INDEX tokens_job ON tokens (job_id, state) WHERE job_id IS NOT NULL;
        CREATE INDEX tokens_leased ON tokens (lease_owner) WHERE lease_owner IS NOT NULL;
        CREATE INDEX tokens_quarantine ON tokens (id) WHERE quarantine IS NOT NULL;
        CREATE INDEX tokens_live_owner ON tokens (owner) WHERE state IN ('active','revoking');

        CREATE TABLE audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at bigint NOT NULL,
            token_id text,
            episode bigint,
            action text NOT NULL,
            actor_uid bigint,
            actor_pid bigint,
            actor_role text,
            actor_system text,
            reason text,
            provider_status bigint,
            provider_detail text,
            duration_ms bigint,
            attempt bigint,
            job_id text
        );
        CREATE INDEX audit_token ON audit (token_id, id);
        CREATE INDEX audit_action ON audit (action, id);
        CREATE INDEX audit_at ON audit (at);
        CREATE INDEX audit_actor ON audit (actor_uid, id);
        -- At most one terminal event per token and custody episode.
        CREATE UNIQUE INDEX audit_one_terminal ON audit (token_id, episode) WHERE action IN \(terminalActions);

        -- Append-only. Retention pruning is the only exception: it sets tokend.prune for its own transaction.
        -- Deployments that give the daemon its own role also REVOKE UPDATE, DELETE, TRUNCATE (docs/scale-out.md).
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND current_setting('tokend.prune', true) = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit is append-only: % refused', TG_OP;
        END $$;
        CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
            FOR EACH ROW EXECUTE FUNCTION audit_append_only();
        CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
            FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

        CREATE TABLE jobs (
            id text PRIMARY KEY,
            created_at bigint NOT NULL,
            filter text NOT NULL,
            matched bigint NOT NULL,
            reason text,
            actor_uid bigint
        );

        -- Cluster membership: every instance upserts its row every heartbeat.
        CREATE TABLE instances (
            id text PRIMARY KEY,
            host text NOT NULL,
            pid bigint NOT NULL,
            started_at bigint NOT NULL,
            last_heartbeat_at bigint NOT NULL,
            in_flight bigint NOT NULL DEFAULT 0
        );

        -- One token bucket per provider account, shared by the cluster: rate_per_second holds for all
        -- instances together.
        CREATE TABLE rate_buckets (
            account text PRIMARY KEY,
            tokens double precision NOT NULL,
            updated_at bigint NOT NULL
        );
        """

    /// Applies what is missing, under a transaction-scoped advisory lock.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            var applied: [Int] = []
            for try await version in try await connection.query(
                "SELECT version FROM schema_migrations ORDER BY version", logger: logger
            ).decode(Int.self) {
                applied.append(version)
            }
            if let newest = applied.max(), newest > version {
                throw StoreOpenError.newerSchema(found: newest, supported: version)
            }
            for (number, sql) in migrations.sorted(by: { $0.key < $1.key }) where !applied.contains(number) {
                for statement in statements(of: sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(number))", logger: logger)
                applied.append(number)
            }
            return applied
        }
    }
}

extension PostgresSchema {
    /// A migration's statements, one by one: the extended protocol postgres-nio speaks takes a single command
    /// per query. Splits on `;` outside `$$` bodies; `--` comment lines are dropped.
    static func statements(of sql: String) -> [String] {
        var result: [String] = []
        var current = ""
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if !inBody, line.trimmingCharacters(in: .whitespaces).hasPrefix("--") { continue }
            for character in line {
                current.append(character)
                if current.hasSuffix("$$") { inBody.toggle() }
                if character == ";", !inBody {
                    let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                    if statement.count > 1 { result.append(String(statement.dropLast())) }
                    current = ""
                }
            }
            current.append("\n")
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append(rest) }
        return result
    }
}

/// Why a PostgreSQL store cannot open.
public enum StoreOpenError: Error, CustomStringConvertible, Sendable {
    case newerSchema(found: Int, supported: Int)
    case unreachable(String)

    public var description: String {
        switch self {
        case .newerSchema(let found, let supported):
            "the database is at schema version \(found), newer than this tokend supports (\(supported)); upgrade tokend"
        case .unreachable(let detail): detail
        }
    }
}
