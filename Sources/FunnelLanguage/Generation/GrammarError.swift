/// A pattern or JSON schema the grammar compilers refuse, or an automaton that grew past its
/// size limit: where the fault lies and what was expected there.
///
/// Patterns name the 0-based offset in Unicode scalars (`pattern offset 7: …`); schemas name
/// the JSON-pointer-like path of the offending sub-schema (`schema #/properties/genre: …`).
public struct GrammarError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where a fault lies.
    public enum Location: Equatable, Sendable {
        /// The 0-based offset, in Unicode scalars, into a regular expression.
        case patternOffset(Int)
        /// The path of a sub-schema, `#` for the root (`#/properties/name/items`).
        case schemaPath(String)
        /// The whole construction (an automaton that is too large).
        case automaton
    }

    /// Where the fault lies.
    public var location: Location
    /// What was found and what was expected.
    public var reason: String

    public init(location: Location, reason: String) {
        self.location = location
        self.reason = reason
    }

    /// A fault at `offset` of a pattern.
    static func pattern(_ offset: Int, _ reason: String) -> GrammarError {
        GrammarError(location: .patternOffset(offset), reason: reason)
    }

    /// A fault in the sub-schema at `path`.
    static func schema(_ path: String, _ reason: String) -> GrammarError {
        GrammarError(location: .schemaPath(path), reason: reason)
    }

    public var description: String {
        switch location {
        case .patternOffset(let offset): "pattern offset \(offset): \(reason)"
        case .schemaPath(let path): "schema \(path): \(reason)"
        case .automaton: "automaton: \(reason)"
        }
    }
}
