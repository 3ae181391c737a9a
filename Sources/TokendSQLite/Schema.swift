import Foundation
import GRDB
import TokendStore

/// The database schema, as an ordered list of migrations. Never edit a shipped migration: add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-tokens-audit", migrate: v1)
        migrator.registerMigration("v2-list-indexes", migrate: v2)
        migrator.registerMigration("v3-count-triggers", migrate: v3)
        migrator.registerMigration("v5-bound", migrate: v5Bound)
        migrator.registerMigration("v6-chunked-bulk", migrate: v6ChunkedBulk)
        migrator.registerMigration("v7-audit-chain", migrate: v7AuditChain)
        migrator.registerMigration("v8-bulk-cursor", migrate: v8BulkCursor)
        migrator.registerMigration("v9-fingerprint-mac", migrate: v9FingerprintMAC)
        return migrator
    }

    static let terminalActions = "('revoked','already_revoked','failed','forgotten')"

    private static func v1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE tokens (
                    id TEXT PRIMARY KEY NOT NULL,
                    provider TEXT NOT NULL CHECK (provider IN ('fogbugz','box')),
                    account TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    labels TEXT NOT NULL DEFAULT '{}',
                    state TEXT NOT NULL CHECK (state IN
                        ('active','revoking','revoked','already_revoked','failed','forgotten')),
                    fingerprint TEXT NOT NULL,
                    sealed BLOB,
                    issued_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    last_renewed_at INTEGER,
                    registered_by_uid INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_error TEXT,
                    revoked_at INTEGER,
                    revocation_reason TEXT,
                    revocation_note TEXT,
                    episode INTEGER NOT NULL DEFAULT 1,
                    in_flight INTEGER NOT NULL DEFAULT 0,
                    quarantine TEXT,
                    job_id TEXT,
                    UNIQUE (account, fingerprint)
                );
                -- Scheduler: per account so that each account's lane claims only what it can run.
                CREATE INDEX tokens_due_expiry ON tokens (state, account, expires_at);
                CREATE INDEX tokens_due_attempt ON tokens (state, account, next_attempt_at);
                CREATE INDEX tokens_owner ON tokens (owner, expires_at, id);
                CREATE INDEX tokens_uid ON tokens (registered_by_uid, expires_at, id);
                CREATE INDEX tokens_provider_account ON tokens (provider, account, expires_at);
                CREATE INDEX tokens_expiry ON tokens (expires_at, id);
                CREATE INDEX tokens_job ON tokens (job_id, state) WHERE job_id IS NOT NULL;
                CREATE INDEX tokens_in_flight ON tokens (id) WHERE in_flight = 1;
                CREATE INDEX tokens_quarantine ON tokens (id) WHERE quarantine IS NOT NULL;

                CREATE TABLE token_labels (
                    token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (token_id, key)
                ) WITHOUT ROWID;
                CREATE INDEX token_labels_kv ON token_labels (key, value, token_id);

                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    token_id TEXT,
                    episode INTEGER,
                    action TEXT NOT NULL,
                    actor_uid INTEGER,
                    actor_pid INTEGER,
                    actor_role TEXT,
                    actor_system TEXT,
                    reason TEXT,
                    provider_status INTEGER,
                    provider_detail TEXT,
                    duration_ms INTEGER,
                    attempt INTEGER,
                    job_id TEXT
                );
                CREATE INDEX audit_token ON audit (token_id, id);
                CREATE INDEX audit_action ON audit (action, id);
                CREATE INDEX audit_at ON audit (at);
                CREATE INDEX audit_actor ON audit (actor_uid, id);
                -- At most one terminal event per token and custody episode.
                CREATE UNIQUE INDEX audit_one_terminal ON audit (token_id, episode)
                    WHERE action IN \(terminalActions);

                -- Append-only. Retention pruning is the only exception: it inserts a permit row in the same
                -- transaction, deletes, removes the permit, and audits itself.
                CREATE TABLE audit_prune_permit (one INTEGER PRIMARY KEY CHECK (one = 1));
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'audit is append-only: UPDATE refused'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit)
                BEGIN SELECT RAISE(ABORT, 'audit is append-only: DELETE refused'); END;

                -- Live-token counts for the [limits] caps and state counts for status, kept by triggers in the
                -- same transaction as the change so they can never drift.
                CREATE TABLE live_counts (
                    scope TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL,
                    PRIMARY KEY (scope, key)
                ) WITHOUT ROWID;
                CREATE TABLE state_counts (
                    provider TEXT NOT NULL, account TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
                    PRIMARY KEY (provider, account, state)
                ) WITHOUT ROWID;

                CREATE TRIGGER tokens_count_insert AFTER INSERT ON tokens
                BEGIN
                    INSERT INTO state_counts (provider, account, state, n) VALUES (NEW.provider, NEW.account, NEW.state, 1)
                        ON CONFLICT DO UPDATE SET n = n + 1;
                    INSERT INTO live_counts (scope, key, n)
                        SELECT 'owner', NEW.owner, 1 WHERE NEW.state IN ('active','revoking')
                        ON CONFLICT DO UPDATE SET n = n + 1;
                    INSERT INTO live_counts (scope, key, n)
                        SELECT 'account', NEW.account, 1 WHERE NEW.state IN ('active','revoking')
                        ON CONFLICT DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER tokens_count_state AFTER UPDATE OF state ON tokens WHEN OLD.state <> NEW.state
                BEGIN
                    UPDATE state_counts SET n = n - 1
                        WHERE provider = OLD.provider AND account = OLD.account AND state = OLD.state;
                    INSERT INTO state_counts (provider, account, state, n) VALUES (NEW.provider, NEW.account, NEW.state, 1)
                        ON CONFLICT DO UPDATE SET n = n + 1;
                    UPDATE live_counts SET n = n - 1
                        WHERE OLD.state IN ('active','revoking') AND NEW.state NOT IN ('active','revoking')
                          AND ((scope = 'owner' AND key = OLD.owner) OR (scope = 'account' AND key = OLD.account));
                    INSERT INTO live_counts (scope, key, n)
                        SELECT 'owner', NEW.owner, 1
                        WHERE OLD.state NOT IN ('active','revoking') AND NEW.state IN ('active','revoking')
                        ON CONFLICT DO UPDATE SET n = n + 1;
                    INSERT INTO live_counts (scope, key, n)
                        SELECT 'account', NEW.account, 1
                        WHERE OLD.state NOT IN ('active','revoking') AND NEW.state IN ('active','revoking')
                        ON CONFLICT DO UPDATE SET n = n + 1;
                END;

                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY NOT NULL,
                    created_at INTEGER NOT NULL,
                    filter TEXT NOT NULL,
                    matched INTEGER NOT NULL,
                    reason TEXT,
                    actor_uid INTEGER
                );

                CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT) WITHOUT ROWID;
                """)
    }

    /// Indexes that match the queries actually run (checked with EXPLAIN QUERY PLAN):
    /// - listing by account sorted by expiry used `(account, fingerprint)` plus a temporary sort of every row
    ///   of the account; `(account, expires_at, id)` walks in order and stops at the page size;
    /// - `(provider, account, expires_at)` is then redundant (provider alone has two values: the expiry index
    ///   with a filter serves it);
    /// - `audit (at)` was never chosen (audit pages walk `id` backwards), yet cost a B-tree insert per event.
    ///
    /// And partial indexes where only some rows are ever looked up, so that a registration, a claim and an
    /// outcome each touch fewer B-trees (and revoked tokens, the bulk of the table, leave the due indexes):
    /// - expiry is due work only for `active` tokens;
    /// - a next attempt exists only for `revoking`/`failed` tokens (`next_attempt_at IS NOT NULL`);
    /// - the actor index serves `actor_uid = ?` queries, which system events (most of them) never match.
    private static func v2(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP INDEX tokens_provider_account;
                CREATE INDEX tokens_account ON tokens (account, expires_at, id);
                DROP INDEX audit_at;
                DROP INDEX tokens_due_expiry;
                CREATE INDEX tokens_due_expiry ON tokens (account, expires_at) WHERE state = 'active';
                DROP INDEX tokens_due_attempt;
                CREATE INDEX tokens_due_attempt ON tokens (state, account, next_attempt_at)
                    WHERE next_attempt_at IS NOT NULL;
                DROP INDEX audit_actor;
                CREATE INDEX audit_actor ON audit (actor_uid, id) WHERE actor_uid IS NOT NULL;
                """)
    }

    /// Count triggers that do only point updates. Migration 1's state trigger ran all of its `live_counts`
    /// statements on every state change, guarded only by conditions inside their WHERE clauses, and matched
    /// `(scope = 'owner' AND key = OLD.owner) OR (scope = 'account' AND key = OLD.account)`, which SQLite runs as
    /// a MULTI-INDEX OR through a temporary table, on every claim and every outcome. Here each trigger fires only
    /// when its condition holds (`WHEN`), and each statement names a whole primary key. Measured in-process
    /// with 10,000 owners: claims 47,200 → 55,300/s, outcomes 34,000 → 41,900/s.
    private static func v3(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP TRIGGER tokens_count_insert;
                DROP TRIGGER tokens_count_state;
                CREATE TRIGGER tokens_count_insert AFTER INSERT ON tokens
                BEGIN
                    INSERT INTO state_counts (provider, account, state, n) VALUES (NEW.provider, NEW.account, NEW.state, 1)
                        ON CONFLICT DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER tokens_live_insert AFTER INSERT ON tokens WHEN NEW.state IN ('active','revoking')
                BEGIN
                    INSERT INTO live_counts (scope, key, n) VALUES ('owner', NEW.owner, 1) ON CONFLICT DO UPDATE SET n = n + 1;
                    INSERT INTO live_counts (scope, key, n) VALUES ('account', NEW.account, 1) ON CONFLICT DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER tokens_count_state AFTER UPDATE OF state ON tokens WHEN OLD.state <> NEW.state
                BEGIN
                    UPDATE state_counts SET n = n - 1
                        WHERE provider = OLD.provider AND account = OLD.account AND state = OLD.state;
                    INSERT INTO state_counts (provider, account, state, n) VALUES (NEW.provider, NEW.account, NEW.state, 1)
                        ON CONFLICT DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER tokens_live_leave AFTER UPDATE OF state ON tokens
                WHEN OLD.state IN ('active','revoking') AND NEW.state NOT IN ('active','revoking')
                BEGIN
                    UPDATE live_counts SET n = n - 1 WHERE scope = 'owner' AND key = OLD.owner;
                    UPDATE live_counts SET n = n - 1 WHERE scope = 'account' AND key = OLD.account;
                END;
                CREATE TRIGGER tokens_live_enter AFTER UPDATE OF state ON tokens
                WHEN OLD.state NOT IN ('active','revoking') AND NEW.state IN ('active','revoking')
                BEGIN
                    INSERT INTO live_counts (scope, key, n) VALUES ('owner', NEW.owner, 1) ON CONFLICT DO UPDATE SET n = n + 1;
                    INSERT INTO live_counts (scope, key, n) VALUES ('account', NEW.account, 1) ON CONFLICT DO UPDATE SET n = n + 1;
                END;
                """)
    }

    /// Bound tokens (client-held leases): how long a token lives without a heartbeat, the last heartbeat and the
    /// deadline it sets. Only active bound tokens are ever looked up by deadline, so the index is partial: the
    /// sweep (`revokeUnbound`) and the scheduler's wake-up (`nextHeartbeatDeadline`) walk it from the front, and
    /// every other row, bound tokens that left `active` included, stays out of it.
    private static func v5Bound(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE tokens ADD COLUMN heartbeat_seconds INTEGER;
                ALTER TABLE tokens ADD COLUMN last_heartbeat_at INTEGER;
                ALTER TABLE tokens ADD COLUMN heartbeat_deadline INTEGER;
                CREATE INDEX tokens_heartbeat_due ON tokens (heartbeat_deadline)
                    WHERE state = 'active' AND heartbeat_deadline IS NOT NULL;
                """)
    }

    /// Chunked, resumable bulk jobs: the filter as JSON and the actor (each chunk's audit rows name them), a
    /// `marking` flag while matched tokens remain to be marked, and how many the job took. `marked` is NULL for
    /// jobs from before, which were marked in one statement.
    private static func v6ChunkedBulk(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE jobs ADD COLUMN actor_pid INTEGER;
                ALTER TABLE jobs ADD COLUMN actor_role TEXT;
                ALTER TABLE jobs ADD COLUMN actor_system TEXT;
                ALTER TABLE jobs ADD COLUMN filter_json TEXT;
                ALTER TABLE jobs ADD COLUMN marking INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE jobs ADD COLUMN marked INTEGER;
                CREATE INDEX jobs_marking ON jobs (created_at, id) WHERE marking = 1;
                """)
    }

    /// Where a bulk job's marking has got to: the `(expires_at, id)` of the last token its last chunk scanned,
    /// and which pass it is in (0: the main walk; 1: one more from the start, for tokens a renewal moved
    /// behind the cursor or that another writer held when their chunk came). Each chunk then reads at most
    /// `limit` index entries; before, every chunk re-read every token the job had already marked.
    private static func v8BulkCursor(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE jobs ADD COLUMN mark_after_at INTEGER;
                ALTER TABLE jobs ADD COLUMN mark_after_id TEXT;
                ALTER TABLE jobs ADD COLUMN mark_pass INTEGER NOT NULL DEFAULT 0;
                """)
    }

    /// Fingerprints as their 32-byte MAC instead of the 76-character `hmac-sha256:<hex>` text the record shows:
    /// the fingerprint is in the table row and in the `(account, fingerprint)` unique index, so this saves
    /// 103 of the 836 bytes a token took at 1M tokens (docs/performance.md, "Database size"). The column keeps
    /// its declared TEXT type (SQLite cannot alter it in place and TEXT affinity stores a blob as it is); reads
    /// turn the MAC back into the text (`ColumnReader.fingerprint`). One pass over the table, once, in the
    /// migration's transaction; a value that is not a well-formed fingerprint text is left as it is.
    private static func v9FingerprintMAC(_ db: Database) throws {
        let unhex = DatabaseFunction("tokend_fingerprint_mac", argumentCount: 1, pure: true) { values in
            guard let text = String.fromDatabaseValue(values[0]), let mac = Sealer.fingerprintMAC(text: text) else {
                return values[0]
            }
            return Data(mac)
        }
        db.add(function: unhex)
        defer { db.remove(function: unhex) }
        try db.execute(
            sql: """
                UPDATE tokens SET fingerprint = tokend_fingerprint_mac(fingerprint)
                WHERE typeof(fingerprint) = 'text' AND fingerprint LIKE 'hmac-sha256:%'
                """)
    }

    /// The audit hash chain (docs/audit.md): each row's `prev_hash` and `hash`, written by `insertAudit` in the
    /// row's own transaction; rows from before stay NULL and the genesis checkpoint says where the chain starts.
    /// Checkpoints are append-only like the audit itself.
    private static func v7AuditChain(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE audit ADD COLUMN prev_hash BLOB;
                ALTER TABLE audit ADD COLUMN hash BLOB;
                CREATE TABLE audit_checkpoints (
                    id INTEGER PRIMARY KEY,
                    audit_id INTEGER NOT NULL,
                    hash BLOB NOT NULL,
                    at INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    pruned_through INTEGER,
                    pruned_hash BLOB,
                    signature BLOB NOT NULL
                );
                CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: UPDATE refused'); END;
                CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
                BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: DELETE refused'); END;
                """)
    }
}
