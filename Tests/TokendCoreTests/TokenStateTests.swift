import Testing
import TokendCore

/// (a) The state machine: exactly the documented transitions are legal; nothing skips a state.
@Suite struct TokenStateTests {
    static let legal: Set<[TokenState]> = [
        [.active, .revoking], [.active, .forgotten],
        [.revoking, .revoked], [.revoking, .alreadyRevoked], [.revoking, .failed], [.revoking, .forgotten],
        [.failed, .revoking], [.failed, .forgotten],
    ]

    @Test func everyPairMatchesTheDiagram() {
        for from in TokenState.allCases {
            for to in TokenState.allCases {
                #expect(from.canTransition(to: to) == Self.legal.contains([from, to]), "\(from) → \(to)")
            }
        }
    }

    @Test func skippingRevokingIsIllegal() {
        for terminal in [TokenState.revoked, .alreadyRevoked, .failed] {
            #expect(!TokenState.active.canTransition(to: terminal))
        }
        for terminal in [TokenState.revoked, .alreadyRevoked, .forgotten] {
            #expect(terminal.legalSuccessors.isEmpty)
        }
        #expect(!TokenState.failed.canTransition(to: .revoked))
        #expect(!TokenState.revoking.canTransition(to: .active))
    }

    @Test func classification() {
        #expect(TokenState.allCases.filter(\.isTerminal) == [.revoked, .alreadyRevoked, .failed, .forgotten])
        #expect(TokenState.allCases.filter(\.isLive) == [.active, .revoking])
        #expect(TokenState.allCases.filter(\.isRevokedAtProvider) == [.revoked, .alreadyRevoked])
        #expect(TokenState.alreadyRevoked.rawValue == "already_revoked")
        for state in TokenState.allCases {
            #expect((AuditAction(terminal: state) != nil) == state.isTerminal)
            if let action = AuditAction(terminal: state) { #expect(action.isTerminal) }
        }
        #expect(AuditAction.terminal == [.revoked, .alreadyRevoked, .failed, .forgotten])
    }
}
