import TokendCore

/// The effective configuration as TOML, every default filled in and every secret replaced by `"<redacted>"`;
/// what `tokend check-config` prints. The output loads again with ``ConfigLoader`` once secrets are supplied.
public func describe(_ configuration: Configuration) -> String {
    var out = TOMLWriter()
    out.section("daemon")
    out.string("database", configuration.daemon.database)
    switch configuration.daemon.key {
    case .file(let path): out.string("key_file", path)
    case .credential(let name, _): out.string("key_credential", name)
    }
    out.duration("lease", configuration.daemon.lease)

    let control = configuration.control
    out.section("control")
    out.string("socket", control.socket)
    out.string("mode", "0" + String(control.mode, radix: 8))
    out.strings("operators", control.operators)
    out.strings("admins", control.admins)
    out.strings("allow", control.allow)

    let schedule = configuration.schedule
    out.section("schedule")
    out.duration("default_ttl", schedule.defaultTTL)
    out.duration("max_ttl", schedule.maxTTL)
    out.duration("sweep_interval", schedule.sweepInterval)
    out.duration("revoke_before_expiry", schedule.revokeBeforeExpiry)
    out.duration("retry_base", schedule.retryBase)
    out.duration("retry_max_delay", schedule.retryMaxDelay)
    out.int("max_attempts", schedule.maxAttempts)
    out.duration("failed_retry_interval", schedule.failedRetryInterval)
    out.int("breaker_due_threshold", schedule.breakerDueThreshold)
    out.duration("breaker_clock_jump", schedule.breakerClockJump)
    out.int("claim_batch", schedule.claimBatch)

    for account in configuration.accounts {
        out.arraySection(account.provider.rawValue)
        out.string("name", account.name)
        if !account.baseURL.isEmpty { out.string("base_url", account.baseURL) }  // optional for Box oauth2
        out.string("api", account.api.configName)
        if let apiPath = account.apiPath { out.string("api_path", apiPath) }
        if account.apiKey != nil { out.redacted("api_key") }
        if let oauthURL = account.oauthURL { out.string("oauth_url", oauthURL) }
        if let clientID = account.clientID { out.string("client_id", clientID) }
        if account.clientSecret != nil { out.redacted("client_secret") }
        out.int("concurrency", account.concurrency)
        out.number("rate_per_second", account.ratePerSecond)
        out.duration("timeout", account.timeout)
        out.duration("connect_timeout", account.connectTimeout)
        out.bool("allow_insecure", account.allowInsecure)
        if let ttl = account.defaultTTL { out.duration("default_ttl", ttl) }
    }

    out.section("bulk")
    out.int("confirm_above", configuration.bulk.confirmAbove)

    let limits = configuration.limits
    out.section("limits")
    out.int("max_body_bytes", limits.maxBodyBytes)
    out.int("max_live_per_owner", limits.maxLivePerOwner)
    out.int("max_live_per_account", limits.maxLivePerAccount)
    out.int("max_connections", limits.maxConnections)

    out.section("audit")
    if let retain = configuration.audit.retain {
        out.duration("retain", retain)
    } else {
        out.comment("retain: not set (audit events are kept forever)")
    }
    out.duration("checkpoint_interval", configuration.audit.checkpointInterval)
    switch configuration.audit.signingKey {
    case .file(let path)?: out.string("signing_key_file", path)
    case .credential(let name, _)?: out.comment("signing key: credential '\(name)'")
    case nil:
        if case .file(let path) = configuration.auditSigningKey {
            out.comment("signing_key_file: not set (\(path), beside the master key)")
        }
    }
    out.bool("syslog", configuration.audit.syslog)
    return out.text
}
