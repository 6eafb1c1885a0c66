import Foundation
import FunnelData

extension StrictJSON {
    /// Checks that `data` is one JSON value (RFC 8259) whose objects repeat no key, nested at
    /// most ``JSONChecker/maximumDepth`` deep, before `JSONSerialization` reads it (which keeps
    /// one of two equal keys without a word, and reports a syntax error without saying where).
    /// The checking is FunnelData's ``JSONChecker`` (schema files use it too); this names the
    /// failure as configuration errors are named.
    ///
    /// Throws an ``Error`` naming the line and column of a syntax error, or the path of a
    /// repeated key under `context` (`modelConfiguration.hiddenDimensions`).
    public static func checkSyntax(_ data: Data, context: String = "") throws {
        do {
            _ = try JSONChecker.parse(data)
        } catch {
            guard !error.path.isEmpty else {
                let subject = context.isEmpty ? "the configuration" : "'\(context)'"
                throw Error(description: "\(subject) is not valid JSON: \(error.message)")
            }
            let path = context.isEmpty ? error.path : "\(context).\(error.path)"
            let key = error.path.split(separator: ".").last.map { String($0.split(separator: "[")[0]) } ?? error.path
            throw Error(description: "field '\(path)': the key '\(key)' \(error.message)")
        }
    }
}
