import Logging
import NIOCore
import TokendCore

extension ProviderClients {
    /// Logs on at a FogBugz account with `email` (or a full name) and `password` and classifies the answer.
    /// Never throws. The password travels in the request body only; it, its encodings and the issued token are
    /// redacted from every detail, and none of them — nor the email — is logged.
    ///
    /// XML accounts without `api_path` discover their call prefix from `api.xml` first (cached, shared with
    /// logoff); a discovery failure is the logon's outcome.
    public func logon(account: Configuration.Account, email: String, password: String) async -> LogonOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = NIODeadline.now() + Self.timeAmount(account.timeout)
        let secrets = [
            password, WireEncoding.percentEncode(password), WireEncoding.jsonString(password),
            WireEncoding.percentEncode(email), email,
        ].filter { $0.count >= 4 }
        var status: Int?
        var outcome: LogonOutcome
        if account.provider != .fogbugz {
            outcome = .failed(detail: "logon is supported for FogBugz accounts only")
        } else if let problem = validation(of: account) {
            outcome = .failed(detail: problem.message)
        } else {
            switch await resolveVariant(for: account, deadline: deadline, secrets: secrets) {
            case .failed(let failure, let failureStatus):
                outcome = FogBugzLogonRules.outcome(failure)
                status = failureStatus
            case .ready(let logoff, _):
                let variant: any LogonVariant =
                    if let xml = logoff as? FogBugzXMLLogoff { FogBugzXMLLogon(callPrefix: xml.callPrefix) } else {
                        FogBugzJSONLogon()
                    }
                let request = variant.makeRequest(account: account, email: email, password: password)
                switch await send(request, account: account, deadline: deadline, secrets: secrets) {
                case .response(let response):
                    status = response.status
                    outcome = variant.classify(response)
                case .failure(let detail):
                    outcome = .unavailable(detail: detail)
                }
            }
        }
        outcome = Self.redact(outcome, secrets: secrets)
        let duration = clock.now - start
        var metadata: Logger.Metadata = [
            "account": "\(account.name)", "api": "\(account.api.rawValue)", "outcome": "\(outcome.name)",
            "duration_ms": "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)",
        ]
        if let status { metadata["http_status"] = "\(status)" }
        if let detail = outcome.detail { metadata["detail"] = "\(detail)" }
        logger.info("provider logon", metadata: metadata)
        return outcome
    }

    /// Replaces `secrets` in the outcome's detail and people (a provider echoing the password back must not put
    /// it into a log line or an error body). The issued token is left alone: it is the result.
    static func redact(_ outcome: LogonOutcome, secrets: [String]) -> LogonOutcome {
        func clean(_ text: String) -> String {
            var text = text
            for secret in secrets where text.contains(secret) { text = text.replacing(secret, with: "<redacted>") }
            return text
        }
        switch outcome {
        case .loggedOn: return outcome
        case .refused(let code, let detail, let people): return .refused(code: code, detail: clean(detail), people: people.map(clean))
        case .unavailable(let detail): return .unavailable(detail: clean(detail))
        case .failed(let detail): return .failed(detail: clean(detail))
        }
    }
}
