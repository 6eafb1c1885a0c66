/// One read-out of an error memory for a query: a stored sample (``NearestNeighbourErrorMemory``)
/// or a bucket's average (``SketchErrorMemory``), with its cosine similarity to the query.
///
/// ReLoop2 (Zhu et al., "ReLoop2: Building Self-Adaptive Recommendation Models via Responsive
/// Error Compensation Loop", KDD 2023, arXiv 2306.08808; adaptation.md §2.2–§2.3): the
/// read-outs are the "similar samples" whose labels and base predictions estimate the base
/// model's error (``ErrorCompensation``).
public struct ErrorMemoryReadOut: Sendable, Equatable {
    /// `s_i = cos(h_q, h_i)` in [−1, 1] (0 when either vector is zero).
    public var similarity: Float
    /// `y_i`: the observed label (a bucket's mean label).
    public var label: Float
    /// `y_base_i`: the base model's prediction when the sample was written (a bucket's mean).
    public var basePrediction: Float

    public init(similarity: Float, label: Float, basePrediction: Float) {
        self.similarity = similarity
        self.label = label
        self.basePrediction = basePrediction
    }
}

/// The read-outs of a chunk of queries, flat: `slots` places per query (a sketch's `K` arrays,
/// a nearest memory's `k` neighbours), slot-major `[slots × rows]` — entry `slot · rows + row` —
/// so a memory fills one slot (one array) for every query in a pass, and the compensation
/// sweeps a slot over all queries at once.
///
/// An empty place (an empty bucket, fewer stored samples than `k`) has similarity `−∞`, label
/// and base prediction 0: its softmax weight `exp(−∞) = 0` adds exactly nothing, so a query's
/// estimate is the same as over its non-empty read-outs alone, in slot order.
public struct ErrorMemoryReadOuts: Sendable, Equatable {
    /// Queries.
    public let rows: Int
    /// Places per query.
    public let slots: Int
    /// `s`, `[slots × rows]`; `−∞` where empty.
    public var similarities: [Float]
    /// `y`, `[slots × rows]`.
    public var labels: [Float]
    /// `y_base`, `[slots × rows]`.
    public var basePredictions: [Float]

    /// Every place empty.
    public init(rows: Int, slots: Int) {
        self.rows = rows
        self.slots = slots
        similarities = [Float](repeating: -.infinity, count: rows * slots)
        labels = [Float](repeating: 0, count: rows * slots)
        basePredictions = [Float](repeating: 0, count: rows * slots)
    }

    /// The read-outs of each query in order (slots = the longest list; shorter lists end in
    /// empty places).
    public init(_ lists: [[ErrorMemoryReadOut]]) {
        self.init(rows: lists.count, slots: lists.map(\.count).max() ?? 0)
        for (row, list) in lists.enumerated() {
            for (slot, readOut) in list.enumerated() { self[slot, row] = readOut }
        }
    }

    /// The place `slot` of query `row`; `nil` when empty. Setting `nil` empties it.
    public subscript(slot: Int, row: Int) -> ErrorMemoryReadOut? {
        get {
            let index = slot * rows + row
            guard similarities[index] > -.infinity else { return nil }
            return ErrorMemoryReadOut(similarity: similarities[index], label: labels[index], basePrediction: basePredictions[index])
        }
        set {
            let index = slot * rows + row
            similarities[index] = newValue?.similarity ?? -.infinity
            labels[index] = newValue?.label ?? 0
            basePredictions[index] = newValue?.basePrediction ?? 0
        }
    }

    /// Runs `body` with the base addresses of ``similarities``, ``labels`` and
    /// ``basePredictions`` (for a memory that fills places from several threads).
    mutating func withUnsafeMutablePointers<Result>(
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) throws -> Result
    ) rethrows -> Result {
        try similarities.withUnsafeMutableBufferPointer { similarities in
            try labels.withUnsafeMutableBufferPointer { labels in
                try basePredictions.withUnsafeMutableBufferPointer { basePredictions in
                    try body(similarities.baseAddress!, labels.baseAddress!, basePredictions.baseAddress!)
                }
            }
        }
    }

    /// The non-empty read-outs of query `row`, in slot order.
    public func readOuts(row: Int) -> [ErrorMemoryReadOut] {
        (0..<slots).compactMap { self[$0, row] }
    }

    /// The non-empty places over all queries.
    public var count: Int { similarities.reduce(0) { $0 + ($1 > -.infinity ? 1 : 0) } }
}
