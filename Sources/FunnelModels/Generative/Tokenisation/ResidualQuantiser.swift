import FunnelTensor

/// Residual k-means quantisation: L codebooks, level l fitted by ``KMeans`` on the residuals
/// left by levels 1 … l−1 (the non-neural form of TIGER's RQ-VAE codes, sequential.md §4.1
/// alternative): `r_0 = x`, `c_l = argmin_k ‖r_{l−1} − e_{l,k}‖`, `r_l = r_{l−1} − e_{l,c_l}`,
/// `x̂ = Σ_l e_{l,c_l}`. Codes are hierarchical (coarse → fine).
public struct ResidualQuantiser: Sendable {
    /// One codebook per level, `[k_l, d]` each.
    public let levels: [KMeans]

    /// Fits `levels` codebooks of up to `codebookSize` entries on `points` (`[rows, d]`).
    public init(
        points: [Float], rows: Int, dimensions: Int, levels count: Int, codebookSize: Int, iterations: Int,
        tolerance: Float, generator: inout RandomGenerator
    ) {
        var residual = points
        var levels: [KMeans] = []
        for _ in 0..<count {
            let level = KMeans.fit(
                points: residual, rows: rows, dimensions: dimensions, clusters: codebookSize, iterations: iterations,
                tolerance: tolerance, generator: &generator)
            let codes = level.nearest(points: residual, rows: rows).assignments
            subtract(level.reconstruction(of: codes), from: &residual)
            levels.append(level)
        }
        self.levels = levels
    }

    /// Codes `[rows, L]` of `points` (`[rows, d]`) and the mean squared error (per value) of the
    /// reconstruction after each level, `[L]`.
    public func encode(_ points: [Float], rows: Int) -> (codes: [[Int32]], errors: [Float]) {
        var residual = points
        var codes = [[Int32]](repeating: [], count: rows)
        var errors: [Float] = []
        for level in levels {
            let assignments = level.nearest(points: residual, rows: rows).assignments
            subtract(level.reconstruction(of: assignments), from: &residual)
            for row in 0..<rows { codes[row].append(assignments[row]) }
            errors.append(meanSquare(residual))
        }
        return (codes, errors)
    }
}

/// `values -= other`, element-wise.
func subtract(_ other: [Float], from values: inout [Float]) {
    values.withUnsafeMutableBufferPointer { values in
        other.withUnsafeBufferPointer { other in
            for index in 0..<values.count { values[index] -= other[index] }
        }
    }
}

/// The mean of the squared values (0 for none), accumulated in Double.
func meanSquare(_ values: [Float]) -> Float {
    guard !values.isEmpty else { return 0 }
    return values.withUnsafeBufferPointer { values in
        var total = 0.0
        for value in values { total += Double(value) * Double(value) }
        return Float(total / Double(values.count))
    }
}
