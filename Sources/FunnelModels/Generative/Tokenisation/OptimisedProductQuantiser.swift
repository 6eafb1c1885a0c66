import FunnelTensor

/// Optimised product quantisation (Ge et al. 2013, the non-parametric OPQ of faiss's
/// `OPQ32,…,PQ32x8` in RPG, sequential.md §4.1 step 3): an orthogonal rotation R (`[d, d]`)
/// learned jointly with a ``ProductQuantiser`` of the rotated vectors `x R`.
///
/// Alternation, `iterations` times from R = I: fit PQ on `X R`, reconstruct `Y`, then solve the
/// orthogonal Procrustes problem `min_R ‖X R − Y‖` by `R = U Vᵀ` from the SVD `Xᵀ Y = U S Vᵀ`,
/// computed as the polar factor `M V S⁻¹ Vᵀ` with `Mᵀ M = V S² Vᵀ` (Jacobi, Double); a
/// direction with a singular value below 1e-9 of the largest is dropped (R then loses rank
/// there, which only happens for degenerate training data). The final PQ is fitted on `X R`.
public struct OptimisedProductQuantiser: Sendable {
    /// `[d, d]`, row-major: rotated = x · R.
    public let rotation: [Float]
    public let quantiser: ProductQuantiser

    public init(
        points: [Float], rows: Int, dimensions d: Int, subspaces: Int, codebookSize: Int, iterations: Int,
        rotationIterations: Int, tolerance: Float, generator: inout RandomGenerator
    ) {
        var rotation = [Float](repeating: 0, count: d * d)
        for i in 0..<d { rotation[i * d + i] = 1 }
        for _ in 0..<rotationIterations {
            let rotated = Self.multiply(points, rows: rows, by: rotation, dimensions: d)
            let quantiser = ProductQuantiser(
                points: rotated, rows: rows, dimensions: d, subspaces: subspaces, codebookSize: codebookSize,
                iterations: iterations, tolerance: tolerance, generator: &generator)
            let target = quantiser.reconstruction(of: quantiser.encode(rotated, rows: rows).codes)
            let cross = withoutGradients {
                Tensor.matmul(
                    Tensor(shape: [rows, d], scalars: points), Tensor(shape: [rows, d], scalars: target), transposeLeft: true
                ).scalars
            }
            rotation = Self.polarFactor(cross.map(Double.init), size: d).map(Float.init)
        }
        self.rotation = rotation
        quantiser = ProductQuantiser(
            points: Self.multiply(points, rows: rows, by: rotation, dimensions: d), rows: rows, dimensions: d,
            subspaces: subspaces, codebookSize: codebookSize, iterations: iterations, tolerance: tolerance,
            generator: &generator)
    }

    /// `points · R`, `[rows, d]`.
    public func rotate(_ points: [Float], rows: Int) -> [Float] {
        Self.multiply(points, rows: rows, by: rotation, dimensions: quantiser.dimensions)
    }

    static func multiply(_ points: [Float], rows: Int, by matrix: [Float], dimensions d: Int) -> [Float] {
        withoutGradients {
            Tensor.matmul(Tensor(shape: [rows, d], scalars: points), Tensor(shape: [d, d], scalars: matrix)).scalars
        }
    }

    /// The orthogonal factor `U Vᵀ` of `M = U S Vᵀ` (`[n, n]`, row-major).
    static func polarFactor(_ m: [Double], size n: Int) -> [Double] {
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { gram[i * n + j] += m[k * n + i] * m[k * n + j] } } }
        let (values, vectors) = PrincipalComponents.symmetricEigen(gram, size: n)
        let largest = values.max() ?? 0
        // inverseRoot = V S⁻¹ Vᵀ over the kept directions.
        var inverseRoot = [Double](repeating: 0, count: n * n)
        for k in 0..<n where values[k] > 1e-18 * largest && values[k] > 0 {
            let scale = 1 / values[k].squareRoot()
            for i in 0..<n where vectors[i * n + k] != 0 {
                for j in 0..<n { inverseRoot[i * n + j] += scale * vectors[i * n + k] * vectors[j * n + k] }
            }
        }
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n where m[i * n + k] != 0 { for j in 0..<n { result[i * n + j] += m[i * n + k] * inverseRoot[k * n + j] } } }
        return result
    }
}
