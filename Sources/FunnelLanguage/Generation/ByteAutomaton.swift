/// A deterministic finite automaton over bytes: the grammar that constrained decoding
/// enforces (see ``TokenConstraint``).
///
/// Built from a regular expression (``init(pattern:)``, the subset documented on
/// ``RegularExpression``: Thompson NFA, then subset construction) or from a JSON schema
/// (``init(jsonSchema:)``, via ``JSONSchemaPattern``). The automaton matches whole texts as
/// UTF-8 bytes; states from which no accepting state can be reached are removed, so every
/// state ``next(_:byte:)`` returns can still be completed to an accepted text.
public struct ByteAutomaton: Sendable {
    /// The most DFA states a grammar may determinise to.
    public static let maximumStates = 50_000

    /// `transitions[state * 256 + byte]`: the next state, or -1 where the byte is not allowed.
    private let transitions: [Int32]
    private let accepting: [Bool]

    /// The state before any byte.
    public let initialState: Int

    /// The number of states.
    public var stateCount: Int { accepting.count }

    /// The automaton of a regular expression (matched against the whole text).
    /// - Throws: ``GrammarError`` naming the offset of unsupported syntax, or
    ///   ``GrammarError/Location/automaton`` when the automaton grows past its limits.
    public init(pattern: String) throws {
        try self.init(nfa: ByteNFA(RegularExpression.parse(pattern)))
    }

    /// The automaton of the JSON texts a schema admits, in the canonical compact form
    /// documented on ``JSONSchemaPattern``.
    /// - Parameter jsonSchema: the schema as parsed by `JSONSerialization` (dictionaries,
    ///   arrays, strings, numbers).
    /// - Throws: ``GrammarError`` naming the schema path of an unsupported keyword or type.
    public init(jsonSchema: Any) throws {
        try self.init(pattern: JSONSchemaPattern.pattern(for: jsonSchema))
    }

    /// Subset construction: one DFA state per reachable epsilon-closed set of NFA states.
    init(nfa: ByteNFA) throws {
        var stateIndex: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var table: [Int32] = []
        var isAccepting: [Bool] = []
        func intern(_ set: [Int32]) throws -> Int32 {
            if let index = stateIndex[set] { return index }
            guard sets.count < Self.maximumStates else {
                throw GrammarError(
                    location: .automaton,
                    reason:
                        "the grammar needs more than \(Self.maximumStates) DFA states; use smaller repeat bounds"
                )
            }
            let index = Int32(sets.count)
            stateIndex[set] = index
            sets.append(set)
            table.append(contentsOf: repeatElement(-1, count: 256))
            isAccepting.append(set.contains(nfa.accept))
            return index
        }
        _ = try intern(nfa.closure([nfa.start]))
        var next = 0
        while next < sets.count {
            let set = sets[next]
            // Split the byte range at every edge boundary; each piece moves the same way.
            var boundaries: Set<Int> = [0, 256]
            for state in set {
                for edge in nfa.edges[Int(state)] {
                    boundaries.insert(Int(edge.lower))
                    boundaries.insert(Int(edge.upper) + 1)
                }
            }
            let cuts = boundaries.sorted()
            for (low, high) in zip(cuts, cuts.dropFirst()) {
                var targets: [Int32] = []
                for state in set {
                    for edge in nfa.edges[Int(state)]
                    where Int(edge.lower) <= low && high - 1 <= Int(edge.upper) {
                        targets.append(edge.target)
                    }
                }
                guard !targets.isEmpty else { continue }
                let target = try intern(nfa.closure(targets))
                for byte in low..<high { table[next * 256 + byte] = target }
            }
            next += 1
        }
        (transitions, accepting) = Self.removingDeadStates(table: table, accepting: isAccepting)
        initialState = 0
    }

    /// Keeps the states from which an accepting state is reachable (and state 0), renumbered.
    private static func removingDeadStates(table: [Int32], accepting: [Bool]) -> ([Int32], [Bool]) {
        let count = accepting.count
        var predecessors = [[Int32]](repeating: [], count: count)
        for state in 0..<count {
            for byte in 0..<256 where table[state * 256 + byte] >= 0 {
                predecessors[Int(table[state * 256 + byte])].append(Int32(state))
            }
        }
        var live = accepting
        var stack = (0..<count).filter { accepting[$0] }
        while let state = stack.popLast() {
            for previous in predecessors[state] where !live[Int(previous)] {
                live[Int(previous)] = true
                stack.append(Int(previous))
            }
        }
        live[0] = true
        var newIndex = [Int32](repeating: -1, count: count)
        var kept: Int32 = 0
        for state in 0..<count where live[state] {
            newIndex[state] = kept
            kept += 1
        }
        var newTable: [Int32] = []
        newTable.reserveCapacity(Int(kept) * 256)
        var newAccepting: [Bool] = []
        for state in 0..<count where live[state] {
            for byte in 0..<256 {
                let target = table[state * 256 + byte]
                newTable.append(target >= 0 ? newIndex[Int(target)] : -1)
            }
            newAccepting.append(accepting[state])
        }
        return (newTable, newAccepting)
    }

    // MARK: Running

    /// The state after `byte` from `state`, or nil when the byte cannot continue an accepted
    /// text (or `state` is out of range).
    @inline(__always)
    public func next(_ state: Int, byte: UInt8) -> Int? {
        guard state >= 0, state < accepting.count else { return nil }
        let target = transitions[state &* 256 &+ Int(byte)]
        return target >= 0 ? Int(target) : nil
    }

    /// The state after `bytes` from `state` (the initial state by default), or nil when they
    /// leave the grammar.
    public func run<Bytes: Sequence>(_ bytes: Bytes, from state: Int? = nil) -> Int?
    where Bytes.Element == UInt8 {
        var current = state ?? initialState
        for byte in bytes {
            guard let next = next(current, byte: byte) else { return nil }
            current = next
        }
        return current
    }

    /// Whether `state` ends an accepted text.
    public func isAccepting(_ state: Int) -> Bool {
        state >= 0 && state < accepting.count && accepting[state]
    }

    /// Whether the automaton accepts exactly these bytes.
    public func accepts<Bytes: Sequence>(bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        run(bytes).map(isAccepting) ?? false
    }

    /// Whether the automaton accepts the UTF-8 form of `text`.
    public func accepts(_ text: String) -> Bool {
        accepts(bytes: text.utf8)
    }

    /// Gives ``TokenConstraint``'s hot loop the transition table (`state * 256 + byte`, −1
    /// for no transition) without copying.
    func withTransitions<Result>(_ body: (UnsafeBufferPointer<Int32>) throws -> Result) rethrows
        -> Result
    {
        try transitions.withUnsafeBufferPointer(body)
    }
}
