import TokendCore

extension ConfigLoader {
    /// One `[[fogbugz]]` or `[[box]]` entry.
    static func parseAccount(_ reader: TableReader, provider: ProviderKind, schedule: Configuration.Schedule)
        throws(ConfigError) -> Configuration.Account
    {
        let path = reader.path
        try reader.rejectUnknownKeys(allowed: provider == .fogbugz ? Keys.fogbugz : Keys.box)
        let name = try reader.requiredString("name")
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw reader.error(
                "'\(path.dotted("name"))' must be 1–64 characters of letters, digits, '.', '_' or '-' (got '\(name)')",
                key: "name")
        }
        let apiName = try reader.nonEmptyString("api") ?? (provider == .fogbugz ? "xml" : "rest")
        guard let api = ProviderAPI(provider: provider, configName: apiName) else {
            let known = ProviderAPI.allCases.filter { $0.provider == provider }.map { "\"\($0.configName)\"" }
            throw reader.error(
                "'\(path.dotted("api"))': unknown api \"\(apiName)\" for \(provider.rawValue) (expected "
                    + known.joined(separator: ", ") + ")",
                key: "api")
        }
        // Box OAuth2 calls only `oauth_url`; every other variant builds its URLs from `base_url`.
        let baseURL: String? =
            if api == .boxOAuth2 { try reader.nonEmptyString("base_url") } else { try reader.requiredString("base_url") }
        var account = Configuration.Account(name: name, api: api, baseURL: baseURL ?? "")
        if let value = try reader.bool("allow_insecure") { account.allowInsecure = value }
        if let baseURL, let problem = BaseURL.problem(baseURL, allowInsecure: account.allowInsecure) {
            throw reader.error("'\(path.dotted("base_url"))': \(problem)", key: "base_url")
        }
        if let value = try reader.int("concurrency", in: 1...1_024) { account.concurrency = value }
        if let value = try reader.positiveNumber("rate_per_second") { account.ratePerSecond = value }
        if let value = try reader.duration("timeout") { account.timeout = value }
        if let value = try reader.duration("connect_timeout") { account.connectTimeout = value }
        if let value = try reader.duration("default_ttl") {
            guard value <= schedule.maxTTL else {
                throw reader.error(
                    "'\(path.dotted("default_ttl"))' (\(DurationFormat.format(value))) exceeds 'schedule.max_ttl' "
                        + "(\(DurationFormat.format(schedule.maxTTL)))",
                    key: "default_ttl")
            }
            account.defaultTTL = value
        }
        switch api {
        case .fogbugzXML:
            account.apiPath = try reader.nonEmptyString("api_path")
        case .fogbugzJSON:
            try refuse(["api_path"], in: reader, api: api)
        case .boxREST, .boxXML, .boxSOAP:
            try refuse(Keys.boxOAuth, in: reader, api: api)
            guard let key = try SecretSource.resolve("api_key", in: reader) else {
                throw missingSecret("api_key", in: reader, api: api)
            }
            account.apiKey = key
        case .boxOAuth2:
            try refuse(Keys.boxKey, in: reader, api: api)
            let oauthURL = try reader.nonEmptyString("oauth_url") ?? "https://api.box.com"
            if let problem = BaseURL.problem(oauthURL, allowInsecure: account.allowInsecure) {
                throw reader.error("'\(path.dotted("oauth_url"))': \(problem)", key: "oauth_url")
            }
            account.oauthURL = oauthURL
            guard let clientID = try reader.nonEmptyString("client_id") else {
                throw ConfigError(
                    file: reader.context.file, line: reader.context.locator.header(path),
                    key: path.dotted("client_id"),
                    message: "missing required key '\(path.dotted("client_id"))' (api = \"oauth2\")")
            }
            account.clientID = clientID
            guard let secret = try SecretSource.resolve("client_secret", in: reader) else {
                throw missingSecret("client_secret", in: reader, api: api)
            }
            account.clientSecret = secret
        }
        return account
    }

    /// Keys that exist for the provider but not for this `api`.
    private static func refuse(_ keys: Set<String>, in reader: TableReader, api: ProviderAPI) throws(ConfigError) {
        let present = keys.filter(reader.has).sorted()
        if let key = present.first {
            throw reader.error(
                "'\(reader.path.dotted(key))' does not apply to api = \"\(api.configName)\"", key: key)
        }
    }

    private static func missingSecret(_ base: String, in reader: TableReader, api: ProviderAPI) -> ConfigError {
        let path = reader.path
        return ConfigError(
            file: reader.context.file, line: reader.context.locator.header(path), key: path.dotted(base),
            message: "missing secret '\(path.dotted(base))' for api = \"\(api.configName)\": set '\(base)', "
                + "'\(base)_file' or '\(base)_credential'")
    }
}
