/// A person the fake FogBugz accepts at `cmd=logon`.
public struct FakeLogonUser: Sendable, Hashable {
    /// The email address (FogBugz also accepts the full name in the `email` parameter).
    public var email: String
    public var password: String
    public var fullName: String

    public init(email: String, password: String, fullName: String) {
        self.email = email
        self.password = password
        self.fullName = fullName
    }
}

/// FogBugz `cmd=logon` on the fake (docs/providers-logon.md): a matching email (or full name) and password gets
/// a fresh random token, live until logged off; a wrong one error 1; an email shared by several people error 2
/// with their full names.
enum FakeLogon {
    enum Verdict {
        case token(String)
        case refused
        case ambiguous([String])
        case missingArgument
    }

    static func decide(email: String?, password: String?, state: inout FakeProviderState.Inner) -> Verdict {
        guard let email, !email.isEmpty, let password else { return .missingArgument }
        let matches = state.options.logonUsers.filter { $0.email == email || $0.fullName == email }
        if matches.count > 1 { return .ambiguous(matches.map(\.fullName)) }
        guard let user = matches.first, user.password == password else { return .refused }
        var generator = SystemRandomNumberGenerator()
        let token = "fblogon" + (0..<2).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
        state.live.insert(token)
        state.loggedOn.append(token)
        return .token(token)
    }

    static func xml(_ verdict: Verdict) -> FakeAction {
        switch verdict {
        case .token(let token):
            return .text(
                200, FakeReplies.xmlType,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><token><![CDATA[\(token)]]></token></response>")
        case .refused:
            return FakeReplies.fogbugzError("1", "Incorrect password or username")
        case .missingArgument:
            return FakeReplies.fogbugzError("4", "Argument required")
        case .ambiguous(let people):
            let list = people.map { "<person><![CDATA[\($0)]]></person>" }.joined()
            return .text(
                200, FakeReplies.xmlType,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><error code=\"2\">Ambiguous Logon</error><people>\(list)</people></response>")
        }
    }

    static func json(_ verdict: Verdict) -> FakeAction {
        switch verdict {
        case .token(let token):
            return .text(
                200, FakeReplies.jsonType,
                "{\"data\":{\"token\":\"\(FakeWire.jsonEscape(token))\"},\"errors\":[],\"warnings\":[],\"meta\":{},\"errorCode\":null,\"maxCacheAge\":null}")
        case .refused:
            return FakeReplies.jsonError("1", "Error 1: Incorrect password or username")
        case .missingArgument:
            return FakeReplies.jsonError("4", "Error 4: Argument required")
        case .ambiguous(let people):
            let list = people.map { "\"\(FakeWire.jsonEscape($0))\"" }.joined(separator: ",")
            return .text(
                200, FakeReplies.jsonType,
                "{\"data\":{},\"errors\":[{\"message\":\"Error 2: Ambiguous Logon\",\"detail\":null,\"code\":\"2\"}],"
                    + "\"warnings\":[],\"people\":[\(list)],\"meta\":{},\"errorCode\":400,\"maxCacheAge\":null}")
        }
    }
}
