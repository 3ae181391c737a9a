import TokendCore

/// An authenticated caller: kernel credentials plus the role the configuration gives them.
public struct Caller: Sendable, Hashable {
    public var credentials: PeerCredentials
    /// `nil` when `control.allow` is set and the uid is not in it (403 everywhere but `/healthz`).
    public var role: Role?
    /// The passwd name of the uid, or `uid:<n>` without a passwd entry (the default `owner`).
    public var userName: String

    public init(credentials: PeerCredentials, role: Role?, userName: String) {
        self.credentials = credentials
        self.role = role
        self.userName = userName
    }

    public var uid: UInt32 { credentials.uid }

    /// The audit actor for changes made by this caller.
    public var actor: Actor {
        .caller(uid: credentials.uid, pid: credentials.pid, role: role ?? .client)
    }

    /// True when the caller sees every token (operator or admin); clients see only their own.
    public var seesAllTokens: Bool { (role ?? .client) >= .operator }

    /// Whether `record`'s registrant is visible to this caller.
    func canSee(registeredBy uid: UInt32) -> Bool { seesAllTokens || uid == credentials.uid }
}
