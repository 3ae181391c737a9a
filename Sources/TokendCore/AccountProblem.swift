/// Why a provider account cannot be used, naming the account's config key at fault (`base_url`, `oauth_url`,
/// `api_path`, `api_key`, `client_id`, `client_secret`, `timeout`), so that the configuration error can point
/// at that key and its line rather than at the account as a whole.
public struct AccountProblem: Sendable, Hashable, CustomStringConvertible {
    /// The key inside the account's table, without the table prefix (`api_key`, not `box[0].api_key`).
    /// For a secret it is the base name; the loader points at whichever spelling (`_file`, `_credential`) is set.
    public var key: String
    /// What is wrong, as one sentence.
    public var message: String

    /// Creates a problem about `key`.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { message }
}
