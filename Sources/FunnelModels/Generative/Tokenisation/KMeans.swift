import FunnelTensor

/// A k-means codebook: `[k, d]` centroids fitted with k-means++ seeding and Lloyd iterations —
/// the quantiser behind every semantic-ID digit of sequential.md §4.1 (faiss's PQ / RQ training).
///
/// Deterministic: the seeding draws only from the given ``RandomGenerator``; an empty cluster
/// takes the point farthest from its centroid (lowest index on ties), so two fits with the same
/// seed and data are identical. k is `min(clusters, distinct points)`, so no two centroids
/// start equal.
public struct KMeans: Sendable, Equatable {
    /// k: the number of centroids.
    public let count: Int
    /// d: the width of a centroid.
    public let dimensions: Int
    /// `[k · d]`: centroid c at `c·d ..< (c+1)·d`.
    public var centroids: [Float]

    public init(count: Int, dimensions: Int, centroids: [Float]) {
        precondition(centroids.count == count * dimensions, "Funnel: \(centroids.count) values for \(count) × \(dimensions) centroids")
        self.count = count
        self.dimensions = dimensions
        self.centroids = centroids
    }

    /// Fits up to `clusters` centroids to `points` (`[rows, dimensions]`, rows ≥ 1).
    ///
    /// - Parameters:
    ///   - iterations: the most Lloyd iterations.
    ///   - tolerance: stop once the mean squared error falls by less than this fraction.
    public static func fit(
        points: [Float], rows: Int, dimensions: Int, clusters: Int, iterations: Int = 25, tolerance: Float = 1e-4,
        generator: inout RandomGenerator
    ) -> KMeans {
        precondition(rows >= 1 && points.count == rows * dimensions && clusters >= 1, "Funnel: k-means needs points and clusters")
        let distinct = Set((0..<rows).map { row in points[(row * dimensions)..<((row + 1) * dimensions)].map(\.bitPattern) }).count
        let k = min(clusters, distinct)
        var model = seeded(points: points, rows: rows, dimensions: dimensions, count: k, generator: &generator)
        var previous = Float.infinity
        for _ in 0..<iterations {
            let (assignments, distances) = model.nearest(points: points, rows: rows)
            let error = distances.reduce(0, +) / Float(rows * dimensions)
            model.update(points: points, rows: rows, assignments: assignments, distances: distances)
            if previous.isFinite && previous - error <= tolerance * previous { break }
            previous = error
        }
        return model
    }

    /// k-means++ (Arthur & Vassilvitskii 2007): the first centroid uniformly, each next one with
    /// probability proportional to its squared distance from the nearest centroid so far.
    static func seeded(points: [Float], rows: Int, dimensions: Int, count: Int, generator: inout RandomGenerator) -> KMeans {
        var chosen = [Int(generator.next() % UInt64(rows))]
        var nearest = [Float](repeating: .infinity, count: rows)
        while chosen.count < count {
            let centre = Array(points[(chosen.last! * dimensions)..<((chosen.last! + 1) * dimensions)])
            let distances = KMeans(count: 1, dimensions: dimensions, centroids: centre).nearest(points: points, rows: rows).distances
            for row in 0..<rows { nearest[row] = min(nearest[row], distances[row]) }
            let total = nearest.reduce(0.0) { $0 + Double($1) }
            var pick = 0
            if total > 0 {
                var target = Double(generator.nextUnitFloat()) * total
                pick = rows - 1
                for row in 0..<rows where nearest[row] > 0 {
                    target -= Double(nearest[row])
                    if target < 0 { pick = row; break }
                }
                // Rounding can land on a point already chosen; take the farthest instead.
                if nearest[pick] == 0 { pick = nearest.indices.max { nearest[$0] < nearest[$1] }! }
            } else {
                pick = nearest.firstIndex { $0 > 0 } ?? 0
            }
            chosen.append(pick)
        }
        var centroids: [Float] = []
        centroids.reserveCapacity(count * dimensions)
        for row in chosen { centroids += points[(row * dimensions)..<((row + 1) * dimensions)] }
        return KMeans(count: count, dimensions: dimensions, centroids: centroids)
    }

    /// Each point's nearest centroid (lowest index on ties) and its squared distance, `[rows]`
    /// each. The dot products go through one GEMM: ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖².
    public func nearest(points: [Float], rows: Int) -> (assignments: [Int32], distances: [Float]) {
        let products = withoutGradients {
            Tensor.matmul(
                Tensor(shape: [rows, dimensions], scalars: points), Tensor(shape: [count, dimensions], scalars: centroids),
                transposeRight: true
            ).scalars
        }
        let centroidNorms = (0..<count).map { c in squaredNorm(centroids, c * dimensions, dimensions) }
        var assignments = [Int32](repeating: 0, count: rows)
        var distances = [Float](repeating: 0, count: rows)
        products.withUnsafeBufferPointer { products in
            for row in 0..<rows {
                let base = row * count
                var best = 0
                var bestScore = centroidNorms[0] - 2 * products[base]
                for c in 1..<max(count, 1) where c < count {
                    let score = centroidNorms[c] - 2 * products[base + c]
                    if score < bestScore { (best, bestScore) = (c, score) }
                }
                assignments[row] = Int32(best)
                distances[row] = max(squaredNorm(points, row * dimensions, dimensions) + bestScore, 0)
            }
        }
        return (assignments, distances)
    }

    /// One Lloyd step: every centroid moves to the mean of its points; an empty one takes the
    /// point farthest from its centroid among those not yet taken.
    mutating func update(points: [Float], rows: Int, assignments: [Int32], distances: [Float]) {
        var sums = [Double](repeating: 0, count: count * dimensions)
        var sizes = [Int](repeating: 0, count: count)
        for row in 0..<rows {
            let c = Int(assignments[row])
            sizes[c] += 1
            for j in 0..<dimensions { sums[c * dimensions + j] += Double(points[row * dimensions + j]) }
        }
        var order: [Int] = []
        for c in 0..<count {
            if sizes[c] > 0 {
                for j in 0..<dimensions { centroids[c * dimensions + j] = Float(sums[c * dimensions + j] / Double(sizes[c])) }
                continue
            }
            if order.isEmpty {
                order = (0..<rows).sorted { distances[$0] != distances[$1] ? distances[$0] > distances[$1] : $0 < $1 }.reversed()
            }
            guard let row = order.popLast() else { continue }
            for j in 0..<dimensions { centroids[c * dimensions + j] = points[row * dimensions + j] }
        }
    }

    /// The centroids of `codes`, `[rows, d]`.
    public func reconstruction(of codes: [Int32]) -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(codes.count * dimensions)
        for code in codes { values += centroids[(Int(code) * dimensions)..<((Int(code) + 1) * dimensions)] }
        return values
    }
}

/// ‖values[start ..< start + count]‖².
func squaredNorm(_ values: [Float], _ start: Int, _ count: Int) -> Float {
    values.withUnsafeBufferPointer { values in
        var total: Float = 0
        for index in start..<(start + count) { total += values[index] * values[index] }
        return total
    }
}
