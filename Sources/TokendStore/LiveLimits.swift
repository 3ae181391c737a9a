import Foundation
import TokendCore

/// Live-token caps checked at registration (`[limits]`).
public struct LiveLimits: Sendable, Hashable {
    public var perOwner: Int
    public var perAccount: Int
    public init(perOwner: Int, perAccount: Int) {
        self.perOwner = perOwner
        self.perAccount = perAccount
    }
    public static let unlimited = LiveLimits(perOwner: .max, perAccount: .max)
}
