import Foundation

/// Turns the bytes read from stdin or `--token-file` into the raw token.
public enum TokenInput {
    /// Decodes UTF-8 and strips exactly one trailing line ending (`\n` or `\r\n`), so
    /// `echo "$TOKEN" | tokenctl register …` and files written by editors work, while a token that
    /// really ends in other whitespace is kept intact.
    /// - Throws: ``UsageError`` when the input is not UTF-8 or the token is empty.
    public static func token(from data: Data) throws -> String {
        guard var text = String(data: data, encoding: .utf8) else {
            throw UsageError("the token is not valid UTF-8")
        }
        if text.hasSuffix("\r\n") {
            text.removeLast(1)  // "\r\n" is a single Character in Swift
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        guard !text.isEmpty else { throw UsageError("the token is empty") }
        return text
    }
}
