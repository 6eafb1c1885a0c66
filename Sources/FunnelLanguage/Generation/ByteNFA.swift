/// A Thompson NFA over bytes: states joined by byte-range edges and empty (epsilon) edges,
/// built from a ``RegularExpression`` whose scalar sets become UTF-8 byte-range sequences.
///
/// It exists only to be determinised by ``ByteAutomaton``; its size is capped
/// (``maximumStates``) so a pattern with nested bounded repeats is refused rather than
/// exhausting memory.
struct ByteNFA: Sendable {
    /// A byte-range edge.
    struct Edge: Sendable {
        var lower: UInt8
        var upper: UInt8
        var target: Int32
    }

    /// The most states a pattern may compile to.
    static let maximumStates = 200_000

    /// Each state's byte-range edges.
    private(set) var edges: [[Edge]] = []
    /// Each state's epsilon edges.
    private(set) var epsilons: [[Int32]] = []
    /// The start state.
    private(set) var start: Int32 = 0
    /// The single accepting state.
    private(set) var accept: Int32 = 0

    /// The NFA of `expression`.
    /// - Throws: ``GrammarError`` (``GrammarError/Location/automaton``) past ``maximumStates``.
    init(_ expression: RegularExpression) throws {
        start = try addState()
        accept = try compile(expression, from: start)
    }

    private mutating func addState() throws -> Int32 {
        guard edges.count < Self.maximumStates else {
            throw GrammarError(
                location: .automaton,
                reason:
                    "the pattern needs more than \(Self.maximumStates) NFA states; use smaller repeat bounds"
            )
        }
        edges.append([])
        epsilons.append([])
        return Int32(edges.count - 1)
    }

    private mutating func addEpsilon(_ from: Int32, _ to: Int32) {
        epsilons[Int(from)].append(to)
    }

    /// Adds the fragment of `expression` starting at `entry`; returns its exit state.
    private mutating func compile(_ expression: RegularExpression, from entry: Int32) throws
        -> Int32
    {
        switch expression {
        case .empty:
            return entry
        case .scalars(let set):
            let exit = try addState()
            for sequence in set.utf8Sequences {
                var current = entry
                for (index, range) in sequence.enumerated() {
                    let target = index == sequence.count - 1 ? exit : try addState()
                    edges[Int(current)].append(
                        Edge(lower: range.lowerBound, upper: range.upperBound, target: target))
                    current = target
                }
            }
            return exit
        case .concatenation(let parts):
            var current = entry
            for part in parts { current = try compile(part, from: current) }
            return current
        case .alternation(let branches):
            let exit = try addState()
            for branch in branches {
                let branchEntry = try addState()
                addEpsilon(entry, branchEntry)
                addEpsilon(try compile(branch, from: branchEntry), exit)
            }
            return exit
        case .repetition(let inner, let minimum, let maximum):
            var current = entry
            for _ in 0..<minimum {
                let next = try addState()
                addEpsilon(current, next)
                current = try compile(inner, from: next)
            }
            let exit = try addState()
            if let maximum {
                for _ in minimum..<maximum {
                    addEpsilon(current, exit)
                    let next = try addState()
                    addEpsilon(current, next)
                    current = try compile(inner, from: next)
                }
                addEpsilon(current, exit)
            } else {
                let loop = try addState()
                addEpsilon(current, loop)
                addEpsilon(loop, exit)
                let body = try addState()
                addEpsilon(loop, body)
                addEpsilon(try compile(inner, from: body), loop)
            }
            return exit
        }
    }

    /// The states reachable from `states` by epsilon edges (`states` included), sorted.
    func closure(_ states: [Int32]) -> [Int32] {
        var seen = Set<Int32>(states)
        var stack = states
        while let state = stack.popLast() {
            for next in epsilons[Int(state)] where seen.insert(next).inserted {
                stack.append(next)
            }
        }
        return seen.sorted()
    }
}
