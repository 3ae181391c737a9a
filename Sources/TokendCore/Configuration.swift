import Foundation

/// The validated daemon configuration (control-api.md, "Configuration file"). Built by `TokendConfig` from TOML.
public struct Configuration: Sendable {
    public var daemon: Daemon
    public var control: Control
    public var schedule: Schedule
    public var accounts: [Account]
    public var bulk: Bulk
    public var limits: Limits
    public var audit: Audit

    public init(
        daemon: Daemon, control: Control, schedule: Schedule, accounts: [Account],
        bulk: Bulk = Bulk(), limits: Limits = Limits(), audit: Audit = Audit()
    ) {
        self.daemon = daemon
        self.control = control
        self.schedule = schedule
        self.accounts = accounts
        self.bulk = bulk
        self.limits = limits
        self.audit = audit
    }

    /// The account called `name`, if configured.
    public func account(named name: String) -> Account? { accounts.first { $0.name == name } }

    /// Accounts of one provider family, in file order.
    public func accounts(of provider: ProviderKind) -> [Account] { accounts.filter { $0.provider == provider } }

    /// `[daemon]`.
    public struct Daemon: Sendable, Hashable {
        /// The SQLite path, or the PostgreSQL URL without any password (for messages).
        public var database: String
        public var key: KeySource
        /// Where the registry lives.
        public var store: StoreLocation
        /// How long a claim stays an instance's without renewal (`daemon.lease`); a dead instance's claims are
        /// taken over after it.
        public var lease: Duration
        public init(database: String, key: KeySource, store: StoreLocation? = nil, lease: Duration = .seconds(30)) {
            self.database = database
            self.key = key
            self.store = store ?? .sqlite(path: database)
            self.lease = lease
        }
    }

    /// Where the 32-byte master key lives.
    public enum KeySource: Sendable, Hashable {
        /// A file, created 0600 with random bytes on first start when missing.
        case file(String)
        /// A name under `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential=`); never created by the daemon.
        case credential(name: String, path: String)
    }

    /// `[control]`.
    public struct Control: Sendable, Hashable {
        public var socket: String
        public var mode: UInt16
        public var operators: [String]
        public var admins: [String]
        public var allow: [String]
        public init(
            socket: String, mode: UInt16 = 0o660, operators: [String] = [], admins: [String] = ["root"],
            allow: [String] = []
        ) {
            self.socket = socket
            self.mode = mode
            self.operators = operators
            self.admins = admins
            self.allow = allow
        }
    }

    /// `[schedule]`.
    public struct Schedule: Sendable, Hashable {
        public var defaultTTL: Duration = .seconds(8 * 3600)
        public var maxTTL: Duration = .seconds(30 * 86_400)
        public var sweepInterval: Duration = .seconds(1)
        public var revokeBeforeExpiry: Duration = .zero
        public var retryBase: Duration = .seconds(10)
        public var retryMaxDelay: Duration = .seconds(15 * 60)
        public var maxAttempts: Int = 8
        public var failedRetryInterval: Duration = .seconds(24 * 3600)
        public var breakerDueThreshold: Int = 10_000
        public var breakerClockJump: Duration = .seconds(600)
        /// Largest number of tokens claimed per scheduler pass.
        public var claimBatch: Int = 512
        public init() {}

        public var ttlPolicy: TTLPolicy { TTLPolicy(defaultTTL: defaultTTL, maxTTL: maxTTL) }
        public var retryPolicy: RetryPolicy {
            RetryPolicy(
                base: retryBase, maxDelay: retryMaxDelay, maxAttempts: maxAttempts,
                failedRetryInterval: failedRetryInterval
            )
        }
        public var breaker: Breaker { Breaker(dueThreshold: breakerDueThreshold, clockJump: breakerClockJump) }
    }

    /// One `[[fogbugz]]` or `[[box]]` entry.
    public struct Account: Sendable, Hashable {
        public var name: String
        public var api: ProviderAPI
        public var baseURL: String
        /// FogBugz XML: a fixed call prefix such as `api.asp?`; `nil` means discover it from `api.xml`.
        public var apiPath: String?
        /// Box 1.0 (rest, xml, soap).
        public var apiKey: Secret?
        /// Box OAuth2: the host whose `/oauth2/revoke` is called.
        public var oauthURL: String?
        public var clientID: String?
        public var clientSecret: Secret?
        public var concurrency: Int
        public var ratePerSecond: Double
        public var timeout: Duration
        public var connectTimeout: Duration
        /// Permit plain `http://` to non-loopback hosts.
        public var allowInsecure: Bool
        /// Default TTL for tokens of this account, overriding `[schedule] default_ttl`.
        public var defaultTTL: Duration?

        public var provider: ProviderKind { api.provider }

        public init(
            name: String, api: ProviderAPI, baseURL: String, apiPath: String? = nil, apiKey: Secret? = nil,
            oauthURL: String? = nil, clientID: String? = nil, clientSecret: Secret? = nil, concurrency: Int = 8,
            ratePerSecond: Double = 50, timeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(5),
            allowInsecure: Bool = false, defaultTTL: Duration? = nil
        ) {
            self.name = name
            self.api = api
            self.baseURL = baseURL
            self.apiPath = apiPath
            self.apiKey = apiKey
            self.oauthURL = oauthURL
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.concurrency = concurrency
            self.ratePerSecond = ratePerSecond
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.allowInsecure = allowInsecure
            self.defaultTTL = defaultTTL
        }
    }

    /// `[bulk]`.
    public struct Bulk: Sendable, Hashable {
        public var confirmAbove: Int = 1_000
        public init() {}
    }

    /// `[limits]`.
    public struct Limits: Sendable, Hashable {
        public var maxBodyBytes: Int = 1_048_576
        public var maxLivePerOwner: Int = 100_000
        public var maxLivePerAccount: Int = 1_000_000
        public var maxConnections: Int = 1_024
        public init() {}
    }

    /// `[audit]`.
    public struct Audit: Sendable, Hashable {
        /// Prune audit events older than this; `nil` keeps everything (the default).
        public var retain: Duration?
        /// How often the chain head is signed (cluster-wide).
        public var checkpointInterval: Duration = .seconds(3_600)
        /// The Ed25519 seed that signs checkpoints; nil: `audit-signing.key` beside the master key file.
        public var signingKey: KeySource?
        /// Forward each audit event to the journal as structured fields.
        public var syslog = false
        public init(retain: Duration? = nil) { self.retain = retain }
    }

    /// The audit signing key's source, defaults applied.
    public var auditSigningKey: KeySource {
        if let key = audit.signingKey { return key }
        if case .file(let path) = daemon.key {
            let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            return .file((directory.isEmpty ? "." : directory) + "/audit-signing.key")
        }
        return .file("/var/lib/tokend/audit-signing.key")
    }
}
