import FunnelTensor

/// Product quantisation (Jégou et al. 2011; RPG's `PQ32x8`, sequential.md §4.1 step 3): the d
/// dimensions split into M contiguous sub-spaces (sizes as equal as possible, the first
/// `d mod M` one wider), one ``KMeans`` codebook per sub-space; an item's codes are the nearest
/// centroid in each sub-space. Digits are unordered. OPQ's learned rotation is
/// ``OptimisedProductQuantiser``.
public struct ProductQuantiser: Sendable {
    /// Each sub-space's first dimension and width.
    public let subspaces: [(start: Int, width: Int)]
    /// One codebook per sub-space, `[k, width_m]` each.
    public let codebooks: [KMeans]
    /// d: the full width.
    public let dimensions: Int

    /// The M sub-spaces of a d-wide vector (requires 1 ≤ M ≤ d).
    public static func subspaces(dimensions: Int, count: Int) -> [(start: Int, width: Int)] {
        precondition(count >= 1 && count <= dimensions, "Funnel: \(count) sub-spaces of \(dimensions) dimensions")
        var start = 0
        return (0..<count).map { index in
            let width = dimensions / count + (index < dimensions % count ? 1 : 0)
            defer { start += width }
            return (start, width)
        }
    }

    /// Fits M codebooks of up to `codebookSize` entries on `points` (`[rows, d]`).
    public init(
        points: [Float], rows: Int, dimensions: Int, subspaces count: Int, codebookSize: Int, iterations: Int,
        tolerance: Float, generator: inout RandomGenerator
    ) {
        let subspaces = Self.subspaces(dimensions: dimensions, count: count)
        self.subspaces = subspaces
        self.dimensions = dimensions
        codebooks = subspaces.map { subspace in
            KMeans.fit(
                points: Self.slice(points, rows: rows, dimensions: dimensions, subspace), rows: rows,
                dimensions: subspace.width, clusters: codebookSize, iterations: iterations, tolerance: tolerance,
                generator: &generator)
        }
    }

    /// Codes `[rows, M]` and each sub-space's mean squared error (per value of the sub-space),
    /// `[M]`, plus the overall mean squared error per value.
    public func encode(_ points: [Float], rows: Int) -> (codes: [[Int32]], errors: [Float], overall: Float) {
        var codes = [[Int32]](repeating: [], count: rows)
        var errors: [Float] = []
        var total = 0.0
        for (subspace, codebook) in zip(subspaces, codebooks) {
            var part = Self.slice(points, rows: rows, dimensions: dimensions, subspace)
            let assignments = codebook.nearest(points: part, rows: rows).assignments
            subtract(codebook.reconstruction(of: assignments), from: &part)
            for row in 0..<rows { codes[row].append(assignments[row]) }
            let error = meanSquare(part)
            errors.append(error)
            total += Double(error) * Double(part.count)
        }
        return (codes, errors, rows == 0 ? 0 : Float(total / Double(rows * dimensions)))
    }

    /// The reconstruction `[rows, d]` of codes `[rows][M]`.
    public func reconstruction(of codes: [[Int32]]) -> [Float] {
        var values = [Float](repeating: 0, count: codes.count * dimensions)
        for (row, tuple) in codes.enumerated() {
            for (index, (subspace, codebook)) in zip(subspaces, codebooks).enumerated() {
                let centre = Int(tuple[index]) * subspace.width
                for j in 0..<subspace.width {
                    values[row * dimensions + subspace.start + j] = codebook.centroids[centre + j]
                }
            }
        }
        return values
    }

    /// Columns `start ..< start + width` of `points`, `[rows, width]`.
    static func slice(_ points: [Float], rows: Int, dimensions: Int, _ subspace: (start: Int, width: Int)) -> [Float] {
        var part: [Float] = []
        part.reserveCapacity(rows * subspace.width)
        for row in 0..<rows {
            part += points[(row * dimensions + subspace.start)..<(row * dimensions + subspace.start + subspace.width)]
        }
        return part
    }
}
