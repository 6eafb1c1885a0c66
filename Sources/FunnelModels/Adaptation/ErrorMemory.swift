/// ReLoop2's error memory M (adaptation.md §2.1, §2.3): keys are hidden-layer vectors `h` of
/// width `dimensions` (by default the base model's last hidden layer), values the label `y`
/// and the base prediction `y_base` of recently labelled samples.
///
/// In a replay, write a chunk only after it has been predicted (§2.7: no same-sample leakage),
/// and ``reset()`` whenever the base model is re-trained (the stored `y_base` go stale).
public protocol ErrorMemory: Sendable {
    /// `d`, the width of every key.
    var dimensions: Int { get }
    /// Stores labelled samples: keys row-major `[count × dimensions]`, labels and base
    /// predictions `[count]`.
    mutating func write(keys: [Float], labels: [Float], basePredictions: [Float])
    /// The read-outs of each query row (keys row-major `[count × dimensions]`), flat; a query
    /// with nothing to read has only empty places.
    func readOuts(queries: [Float]) -> ErrorMemoryReadOuts
    /// Empties the memory (as freshly made).
    mutating func reset()
    /// Bytes held (for the report).
    var byteSize: Int { get }
    /// Samples written since the last reset.
    var storedSamples: Int { get }
}

extension ErrorMemory {
    /// ``readOuts(queries:)`` as one list per query (the non-empty read-outs in slot order).
    public func read(queries: [Float]) -> [[ErrorMemoryReadOut]] {
        let readOuts = readOuts(queries: queries)
        return (0..<readOuts.rows).map { readOuts.readOuts(row: $0) }
    }
}

/// Shared arithmetic of the memories.
enum ErrorMemoryArithmetic {
    /// The rows of `keys` `[count × dimensions]`, checking the shapes of a write or a read.
    static func rowCount(_ keys: [Float], dimensions: Int, values: [Int] = [], _ what: String) -> Int {
        precondition(keys.count % dimensions == 0, "Funnel: \(what) keys hold \(keys.count) values, not a multiple of d = \(dimensions)")
        let count = keys.count / dimensions
        for valueCount in values {
            precondition(valueCount == count, "Funnel: \(what) has \(count) keys but \(valueCount) labels or base predictions")
        }
        return count
    }

    /// The Euclidean norm of row `row` of `values` `[· × dimensions]`.
    static func norm(_ values: UnsafeBufferPointer<Float>, row: Int, dimensions: Int) -> Float {
        var sum: Float = 0
        let start = row * dimensions
        for index in start..<(start + dimensions) { sum += values[index] * values[index] }
        return sum.squareRoot()
    }

    /// `dot / (|a| |b|)`, 0 when a norm is 0, clamped to [−1, 1] against rounding.
    static func cosine(dot: Float, normProduct: Float) -> Float {
        guard normProduct > 0, normProduct.isFinite else { return 0 }
        return Swift.min(1, Swift.max(-1, dot / normProduct))
    }
}
