/// The byte trie of a vocabulary, laid out in preorder so a depth-first walk is a loop over
/// node indices and a whole subtree is skipped by jumping to ``subtreeEnd``.
///
/// ``TokenConstraint`` walks it alongside a ``ByteAutomaton``: a token's bytes are a path
/// from the root, so tokens sharing a prefix share the automaton steps of that prefix, and a
/// byte the automaton refuses prunes every token below it at once.
struct TokenTrie: Sendable {
    /// Each node's byte (node 0, the root, has none: 0).
    private(set) var bytes: [UInt8] = [0]
    /// Each node's depth (the root is 0).
    private(set) var depths: [Int32] = [0]
    /// The index after each node's subtree.
    private(set) var subtreeEnd: [Int32] = [0]
    /// `terminals[terminalStart[n]..<terminalStart[n + 1]]`: the tokens whose bytes end at n.
    private(set) var terminalStart: [Int32] = [0]
    /// Token ids grouped by node.
    private(set) var terminals: [Int32] = []
    /// The largest depth (longest token, in bytes).
    private(set) var maximumDepth = 0

    /// The number of nodes, root included.
    var nodeCount: Int { bytes.count }

    /// The trie of the tokens with bytes (nil entries and empty byte strings are left out).
    init(tokenBytes: [[UInt8]?]) {
        let ids = tokenBytes.indices.filter { !(tokenBytes[$0]?.isEmpty ?? true) }
        let sorted = ids.sorted { left, right in
            let a = tokenBytes[left] ?? [], b = tokenBytes[right] ?? []
            return a == b ? left < right : a.lexicographicallyPrecedes(b)
        }
        var path: [Int32] = [0]
        var previous: [UInt8] = []
        for id in sorted {
            let token = tokenBytes[id] ?? []
            var common = 0
            while common < min(previous.count, token.count), previous[common] == token[common] {
                common += 1
            }
            while path.count - 1 > common, let finished = path.popLast() {
                subtreeEnd[Int(finished)] = Int32(bytes.count)
            }
            for depth in common..<token.count {
                path.append(Int32(bytes.count))
                bytes.append(token[depth])
                depths.append(Int32(depth + 1))
                subtreeEnd.append(0)
                terminalStart.append(Int32(terminals.count))
            }
            terminals.append(Int32(id))
            maximumDepth = max(maximumDepth, token.count)
            previous = token
        }
        for node in path { subtreeEnd[Int(node)] = Int32(bytes.count) }
        terminalStart.append(Int32(terminals.count))
    }

    /// Calls `visit` with every token whose whole byte string `step` accepts from `start`,
    /// and the state after it. `step(state, byte)` returns the next state or -1.
    func forEachAcceptedToken(
        from start: Int32, step: (Int32, UInt8) -> Int32, _ visit: (Int32, Int32) -> Void
    ) {
        var stateAtDepth = [Int32](repeating: -1, count: maximumDepth + 1)
        stateAtDepth[0] = start
        bytes.withUnsafeBufferPointer { bytes in
            depths.withUnsafeBufferPointer { depths in
                subtreeEnd.withUnsafeBufferPointer { subtreeEnd in
                    terminalStart.withUnsafeBufferPointer { terminalStart in
                        terminals.withUnsafeBufferPointer { terminals in
                            stateAtDepth.withUnsafeMutableBufferPointer { stateAtDepth in
                                var node = 1
                                let count = bytes.count
                                while node < count {
                                    let depth = Int(depths[node])
                                    let next = step(stateAtDepth[depth - 1], bytes[node])
                                    if next < 0 {
                                        node = Int(subtreeEnd[node])
                                        continue
                                    }
                                    stateAtDepth[depth] = next
                                    for index in Int(
                                        terminalStart[node])..<Int(terminalStart[node + 1])
                                    {
                                        visit(terminals[index], next)
                                    }
                                    node += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
