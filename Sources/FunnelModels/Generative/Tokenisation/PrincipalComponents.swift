/// Principal component analysis with optional whitening (sequential.md §4.1 step 2, RPG's
/// `sent_emb_pca: 128` with whitening), fitted on the training items only and applied to all.
///
/// The covariance (`[d, d]`, Double, divided by rows − 1) is diagonalised by cyclic Jacobi
/// rotations; components are sorted by eigenvalue (descending) and each eigenvector's sign is
/// fixed so that its largest-magnitude entry is positive, so the projection is deterministic.
/// Projection: `y = (x − mean) · V_D` (`[rows, D]`), whitened: `y_j / √(λ_j + ε)`.
public struct PrincipalComponents: Sendable {
    /// d: the input width.
    public let inputDimensions: Int
    /// D: the output width.
    public let outputDimensions: Int
    /// `[d]`: the training mean.
    public let mean: [Double]
    /// `[d, D]`: column j is component j.
    public let components: [Double]
    /// `[D]`: the variance along each component, descending.
    public let eigenvalues: [Double]
    /// Whether projections are divided by √(λ + ε).
    public let whiten: Bool
    /// Added to each eigenvalue before whitening, so a flat direction does not blow up.
    public static let epsilon = 1e-8

    /// Fits on `points` (`[rows, d]`, rows ≥ 2), keeping `min(dimensions, d)` components.
    public init(points: [Float], rows: Int, inputDimensions d: Int, dimensions: Int, whiten: Bool) {
        precondition(rows >= 2 && points.count == rows * d, "Funnel: PCA needs at least two points")
        var mean = [Double](repeating: 0, count: d)
        for row in 0..<rows { for j in 0..<d { mean[j] += Double(points[row * d + j]) } }
        for j in 0..<d { mean[j] /= Double(rows) }
        var covariance = [Double](repeating: 0, count: d * d)
        var centred = [Double](repeating: 0, count: d)
        for row in 0..<rows {
            for j in 0..<d { centred[j] = Double(points[row * d + j]) - mean[j] }
            for i in 0..<d where centred[i] != 0 {
                for j in i..<d { covariance[i * d + j] += centred[i] * centred[j] }
            }
        }
        for i in 0..<d {
            for j in i..<d {
                covariance[i * d + j] /= Double(rows - 1)
                covariance[j * d + i] = covariance[i * d + j]
            }
        }
        let (values, vectors) = Self.symmetricEigen(covariance, size: d)
        let order = (0..<d).sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        let kept = Array(order.prefix(min(dimensions, d)))
        var components = [Double](repeating: 0, count: d * kept.count)
        for (column, source) in kept.enumerated() {
            var largest = 0
            for i in 0..<d where abs(vectors[i * d + source]) > abs(vectors[largest * d + source]) { largest = i }
            let sign: Double = vectors[largest * d + source] < 0 ? -1 : 1
            for i in 0..<d { components[i * kept.count + column] = sign * vectors[i * d + source] }
        }
        inputDimensions = d
        outputDimensions = kept.count
        self.mean = mean
        self.components = components
        eigenvalues = kept.map { max(values[$0], 0) }
        self.whiten = whiten
    }

    /// `points` (`[rows, d]`) projected, `[rows, D]`.
    public func project(_ points: [Float], rows: Int) -> [Float] {
        let (d, D) = (inputDimensions, outputDimensions)
        var output = [Float](repeating: 0, count: rows * D)
        let scales = eigenvalues.map { whiten ? 1 / ($0 + Self.epsilon).squareRoot() : 1 }
        var centred = [Double](repeating: 0, count: d)
        for row in 0..<rows {
            for i in 0..<d { centred[i] = Double(points[row * d + i]) - mean[i] }
            for j in 0..<D {
                var total = 0.0
                for i in 0..<d where centred[i] != 0 { total += centred[i] * components[i * D + j] }
                output[row * D + j] = Float(total * scales[j])
            }
        }
        return output
    }

    /// Eigenvalues `[n]` and eigenvectors (`[n, n]`, column k for value k) of a symmetric
    /// matrix by cyclic Jacobi sweeps, until the off-diagonal mass is below 1e-22 of the total
    /// or 100 sweeps.
    static func symmetricEigen(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let total = a.reduce(0) { $0 + $1 * $1 }
        guard n > 1, total > 0 else { return ((0..<n).map { a[$0 * n + $0] }, v) }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(n, p + 1) where q < n { off += a[p * n + q] * a[p * n + q] } }
            if off <= 1e-22 * total { break }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
