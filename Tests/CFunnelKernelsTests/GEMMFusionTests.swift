import CFunnelKernels
import Testing

/// What the GEMM does besides the product: the sums of op(A) over depth
/// (`funnel_sgemm_depth_sums`, a bias gradient read with its weight gradient) and the
/// multiplying epilogue (`FUNNEL_EPILOGUE_MULTIPLY`, a gradient times GELU′), against the plain
/// product and passes after it, on every CPU path and on 1 and 2 threads.
@Suite(.serialized)
struct GEMMFusionTests {
    typealias Shape = GEMMTests.Shape

    /// Weight-gradient shapes (Gᵀ·X over thousands of rows: depth-parallel on 2 threads, and
    /// one block past a whole number of them; few outputs and many inputs, computed as Xᵀ·G), a
    /// row-major A, a small product and k = 0.
    static let depthSumShapes: [(Shape, GEMMTests.Form)] = [
        (Shape(m: 64, k: 6400, n: 64), .tn), (Shape(m: 192, k: 3000, n: 64), .tn), (Shape(m: 64, k: 2600, n: 256), .tn),
        (Shape(m: 20, k: 700, n: 70), .nn),
        (Shape(m: 7, k: 5, n: 3), .tn), (Shape(m: 5, k: 0, n: 4), .tn),
    ]

    @Test(arguments: depthSumShapes)
    func depthSumsComeWithTheProduct(shape: Shape, form: GEMMTests.Form) {
        let problem = GEMMTests.Problem(shape, form, seed: 11)
        var bitsByPath: [[UInt32]] = []
        for path in GEMMTests.supportedPaths {
            for threads in [1, 2] {
                let (product, sums) = GEMMTests.with(path: path, threads: threads) { () -> ([Float], [Float]) in
                    var c = [Float](repeating: .nan, count: problem.c.count)
                    var sums = [Float](repeating: .nan, count: shape.m)
                    funnel_sgemm_depth_sums(
                        form.transposesA ? 1 : 0, form.transposesB ? 1 : 0, shape.m, shape.n, shape.k, problem.a,
                        problem.lda, problem.b, problem.ldb, &c, problem.ldc, &sums)
                    return (c, sums)
                }
                let label = "\(shape.testDescription) \(form) \(String(cString: funnel_path_name(path))) \(threads) threads"
                let plain = GEMMTests.with(path: path, threads: threads) { problem.run(alpha: 1, beta: 0) }
                #expect(Self.differences(product, plain) == 0, "\(label): the product")
                for i in 0..<shape.m {
                    var (sum, magnitude) = (0.0, 0.0)
                    for p in 0..<shape.k {
                        let value = Double(form.transposesA ? problem.a[p * problem.lda + i] : problem.a[i * problem.lda + p])
                        sum += value
                        magnitude += abs(value)
                    }
                    #expect(abs(Double(sums[i]) - sum) <= 1e-5 * magnitude + 1e-7, "\(label): sum \(i)")
                }
                if threads == 2 {
                    #expect(bitsByPath.last == sums.map(\.bitPattern), "\(label): the sums of 1 thread")
                }
                bitsByPath.append(sums.map(\.bitPattern))
            }
        }
    }

    /// C ∘ factor in the epilogue gives the bits of the product and then the multiplication, on
    /// the blocked kernel's tiles (one depth block and three) and on the small-product path.
    @Test(arguments: [Shape(m: 300, k: 64, n: 256), Shape(m: 40, k: 600, n: 70), Shape(m: 3, k: 4, n: 5)])
    func multiplyingEpilogueIsTheProductThenTheFactor(shape: Shape) {
        let problem = GEMMTests.Problem(shape, .nn, seed: 5)
        var generator = GEMMTests.Generator(state: 9)
        let factor = generator.values(shape.m * problem.ldc)
        for path in GEMMTests.supportedPaths {
            for threads in [1, 2] {
                let fused = GEMMTests.with(path: path, threads: threads) { () -> [Float] in
                    var c = [Float](repeating: .nan, count: problem.c.count)
                    factor.withUnsafeBufferPointer { factor in
                        var epilogue = funnel_epilogue(
                            kind: FUNNEL_EPILOGUE_MULTIPLY, bias: nil, gelu_output: nil, operand: factor.baseAddress,
                            derivative: 0)
                        funnel_sgemm_epilogue(
                            0, 0, shape.m, shape.n, shape.k, problem.a, problem.lda, problem.b, problem.ldb, &c,
                            problem.ldc, &epilogue)
                    }
                    return c
                }
                var separate = GEMMTests.with(path: path, threads: threads) { problem.run(alpha: 1, beta: 0) }
                for i in 0..<shape.m {
                    for j in 0..<shape.n { separate[i * problem.ldc + j] *= factor[i * problem.ldc + j] }
                }
                let label = "\(shape.testDescription) \(String(cString: funnel_path_name(path))) \(threads) threads"
                #expect(Self.differences(fused, separate) == 0, "\(label)")
            }
        }
    }

    /// Elements whose bits differ (NaN padding included).
    static func differences(_ x: [Float], _ y: [Float]) -> Int {
        x.count == y.count ? zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count : max(x.count, y.count)
    }
}

extension GEMMFusionTests {
    /// A row-major B of exactly one column panel (rows 64 apart, a weight gradient's input) is
    /// read in place instead of packed: the bits of the same product packed (rows 67 apart), on
    /// every path, 1 and 2 threads, one depth block and many (the depth-parallel path).
    @Test(arguments: [300, 3000])
    func onePanelOfBReadInPlace(depth: Int) {
        let (m, n) = (40, 64)
        var generator = GEMMTests.Generator(state: 21)
        let a = generator.values(depth * m)
        let b = generator.values(depth * n)
        let padded = (0..<depth).flatMap { p in Array(b[(p * n)..<(p * n + n)]) + [Float](repeating: 0, count: 3) }
        // The in-place read needs B 64-byte aligned, as tensor storage is.
        let aligned = UnsafeMutableRawPointer.allocate(byteCount: b.count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: b.count)
        defer { aligned.deallocate() }
        aligned.initialize(from: b, count: b.count)
        for path in GEMMTests.supportedPaths {
            for threads in [1, 2] {
                let (inPlace, packed) = GEMMTests.with(path: path, threads: threads) { () -> ([Float], [Float]) in
                    var (inPlace, packed) = ([Float](repeating: .nan, count: m * n), [Float](repeating: .nan, count: m * n))
                    // Gᵀ·X with G [depth, m] and X [depth, n].
                    funnel_sgemm(1, 0, m, n, depth, 1, a, m, aligned, n, 0, &inPlace, n)
                    funnel_sgemm(1, 0, m, n, depth, 1, a, m, padded, n + 3, 0, &packed, n)
                    return (inPlace, packed)
                }
                #expect(
                    Self.differences(inPlace, packed) == 0,
                    "\(depth) deep, \(String(cString: funnel_path_name(path))), \(threads) threads")
            }
        }
    }
}
