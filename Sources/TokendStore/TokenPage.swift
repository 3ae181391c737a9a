import Foundation
import TokendCore

/// One page of a listing.
public struct TokenPage: Sendable {
    public var tokens: [TokenRecord]
    public var nextCursor: TokenCursor?

    public init(tokens: [TokenRecord], nextCursor: TokenCursor? = nil) {
        self.tokens = tokens
        self.nextCursor = nextCursor
    }
}
