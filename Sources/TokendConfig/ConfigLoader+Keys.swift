extension ConfigLoader {
    /// The keys each section accepts: the contract's plus tokend's documented additions.
    enum Keys {
        static let root: Set<String> = ["daemon", "control", "schedule", "fogbugz", "box", "bulk", "limits", "audit"]
        static let daemon: Set<String> = ["database", "database_password_file", "key_file", "key_credential", "lease"]
        static let control: Set<String> = ["socket", "mode", "operators", "admins", "allow"]
        static let schedule: Set<String> = [
            "default_ttl", "max_ttl", "sweep_interval", "revoke_before_expiry", "retry_base", "retry_max_delay",
            "max_attempts", "failed_retry_interval", "breaker_due_threshold", "breaker_clock_jump", "claim_batch",
        ]
        static let account: Set<String> = [
            "name", "base_url", "api", "concurrency", "rate_per_second", "timeout", "connect_timeout",
            "allow_insecure", "default_ttl",
        ]
        static let fogbugz: Set<String> = account.union(["api_path"])
        static let boxKey: Set<String> = ["api_key", "api_key_file", "api_key_credential"]
        static let boxOAuth: Set<String> = [
            "oauth_url", "client_id", "client_secret", "client_secret_file", "client_secret_credential",
        ]
        static let box: Set<String> = account.union(boxKey).union(boxOAuth)
        static let bulk: Set<String> = ["confirm_above"]
        static let limits: Set<String> = [
            "max_body_bytes", "max_live_per_owner", "max_live_per_account", "max_connections",
        ]
        static let audit: Set<String> = ["retain", "checkpoint_interval", "signing_key_file", "syslog"]
    }
}
