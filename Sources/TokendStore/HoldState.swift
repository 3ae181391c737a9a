import Foundation
import TokendCore

/// The persisted hold flag (survives restarts until an admin resumes).
public struct HoldState: Sendable, Hashable {
    public var held: Bool
    public var reason: String?
    public init(held: Bool, reason: String?) {
        self.held = held
        self.reason = reason
    }
}
