/// The action grammar of ECPO's conversational recommender agent (CRA, `crs/act_crs.py`):
/// the model emits exactly one action, `Ask[question]`, `Recommend[full item title]`,
/// `Response[content]` or `Search[keywords]`, whose argument is non-empty and holds no square
/// bracket. ECPO validates every action against `^(Ask|Recommend|Response|Search)\[[^\[\]]+\]$`;
/// ``pattern`` is that expression, ``automaton`` its compiled form for ``TokenConstraint``,
/// and ``validate(_:)`` checks a text with the same automaton, so decoding under the grammar
/// and validating afterwards can never disagree.
public enum ActionGrammar {
    /// The action kinds, in the order of the pattern.
    public enum Kind: String, CaseIterable, Sendable {
        /// Clarify the user's preferences; shown to the user.
        case ask = "Ask"
        /// Recommend an item by its full title; shown to the user.
        case recommend = "Recommend"
        /// Answer or handle an off-topic turn; shown to the user.
        case response = "Response"
        /// Query the item retriever (top 5 items come back as an observation).
        case search = "Search"
    }

    /// One parsed action.
    public struct Action: Sendable, Equatable {
        /// The action's kind.
        public var kind: Kind
        /// The text between the brackets.
        public var argument: String

        public init(kind: Kind, argument: String) {
            self.kind = kind
            self.argument = argument
        }

        /// The action as the model writes it: `Kind[argument]`.
        public var text: String { "\(kind.rawValue)[\(argument)]" }
    }

    /// ECPO's validation expression (anchors included; ``ByteAutomaton`` matches whole texts).
    public static let pattern = #"^(Ask|Recommend|Response|Search)\[[^\[\]]+\]$"#

    /// The compiled grammar: any Unicode argument without `[` or `]` (newlines included, as
    /// in ECPO's character class).
    public static let automaton: ByteAutomaton = {
        do {
            return try ByteAutomaton(pattern: pattern)
        } catch {
            preconditionFailure("ActionGrammar.pattern must compile: \(error)")
        }
    }()

    /// The stop sequence ECPO decodes the CRA with; the `]` is re-appended to the output
    /// (``SamplingOptions/includesStopSequence``).
    public static let stopSequence = "]"

    /// Whether `text` is exactly one valid action.
    public static func validate(_ text: String) -> Bool {
        automaton.accepts(text)
    }

    /// The action `text` spells, or nil when it is not a valid action.
    public static func parse(_ text: String) -> Action? {
        guard validate(text), let open = text.firstIndex(of: "["),
            let kind = Kind(rawValue: String(text[..<open]))
        else { return nil }
        let argument = text[text.index(after: open)..<text.index(before: text.endIndex)]
        return Action(kind: kind, argument: String(argument))
    }
}
