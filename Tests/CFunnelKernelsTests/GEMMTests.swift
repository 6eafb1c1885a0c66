import CFunnelKernels
import Testing

/// SGEMM against a double-accumulating reference, on every CPU path this machine supports and
/// on 1 and 2 threads. The path and thread count are process-wide settings, so the suite runs
/// its tests one at a time and restores both afterwards.
@Suite(.serialized)
struct GEMMTests {
    /// A product C[m×n] = op(A)[m×k] · op(B)[k×n].
    struct Shape: Sendable, CustomTestStringConvertible {
        var m: Int
        var k: Int
        var n: Int
        var testDescription: String { "\(m)×\(k)×\(n)" }
    }

    enum Form: CaseIterable, Sendable {
        case nn, nt, tn, tt
        var transposesA: Bool { self == .tn || self == .tt }
        var transposesB: Bool { self == .nt || self == .tt }
    }

    /// Operands with leading dimensions 3 past the minimum, and their exact product.
    struct Problem {
        let shape: Shape
        let form: Form
        let lda: Int, ldb: Int, ldc: Int
        let a: [Float], b: [Float], c: [Float]

        init(_ shape: Shape, _ form: Form, seed: UInt64 = 1) {
            self.shape = shape
            self.form = form
            lda = (form.transposesA ? shape.m : shape.k) + 3
            ldb = (form.transposesB ? shape.k : shape.n) + 3
            ldc = shape.n + 3
            var generator = Generator(state: seed)
            a = generator.values((form.transposesA ? shape.k : shape.m) * lda)
            b = generator.values((form.transposesB ? shape.n : shape.k) * ldb)
            c = generator.values(shape.m * ldc)
        }

        func elementA(_ i: Int, _ p: Int) -> Float {
            form.transposesA ? a[p * lda + i] : a[i * lda + p]
        }

        func elementB(_ p: Int, _ j: Int) -> Float {
            form.transposesB ? b[j * ldb + p] : b[p * ldb + j]
        }

        /// Σ_p op(A)(i, p)·op(B)(p, j) and Σ_p |op(A)(i, p)·op(B)(p, j)|, in double.
        func product(_ i: Int, _ j: Int) -> (sum: Double, magnitude: Double) {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<shape.k {
                let term = Double(elementA(i, p)) * Double(elementB(p, j))
                sum += term
                magnitude += abs(term)
            }
            return (sum, magnitude)
        }

        /// All products, row-major m×n.
        func products() -> [(sum: Double, magnitude: Double)] {
            var result: [(sum: Double, magnitude: Double)] = []
            result.reserveCapacity(shape.m * shape.n)
            for i in 0..<shape.m {
                for j in 0..<shape.n { result.append(product(i, j)) }
            }
            return result
        }

        /// C after funnel_sgemm; with beta = 0 C starts as NaN, which must not leak through.
        func run(alpha: Float, beta: Float) -> [Float] {
            var output = beta == 0 ? [Float](repeating: .nan, count: c.count) : c
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { output in
                        funnel_sgemm(
                            form.transposesA ? 1 : 0, form.transposesB ? 1 : 0, shape.m, shape.n,
                            shape.k, alpha, a.baseAddress, lda, b.baseAddress, ldb, beta,
                            output.baseAddress, ldc)
                    }
                }
            }
            return output
        }

        /// Mismatches of `output` against the reference (and writes into C's padding), with a
        /// description of the first.
        func mismatches(
            _ output: [Float], alpha: Float, beta: Float,
            products: [(sum: Double, magnitude: Double)]
        ) -> (count: Int, first: String?) {
            var count = 0
            var first: String?
            for i in 0..<shape.m {
                for j in 0..<ldc {
                    let got = output[i * ldc + j]
                    if j >= shape.n {
                        let original = beta == 0 ? Float.nan : c[i * ldc + j]
                        if got.bitPattern != original.bitPattern {
                            count += 1
                            first = first ?? "padding (\(i), \(j)) written"
                        }
                        continue
                    }
                    let (sum, magnitude) = products[i * shape.n + j]
                    let start = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                    let expected = Double(alpha) * sum + start
                    let tolerance = 1e-5 * (abs(Double(alpha)) * magnitude + abs(start)) + 1e-6
                    if !(abs(Double(got) - expected) <= tolerance) {
                        count += 1
                        first = first ?? "(\(i), \(j)): \(got), expected \(expected)"
                    }
                }
            }
            return (count, first)
        }
    }

    struct Generator {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float((state >> 40) & 0xFFFF) / 32768 - 1
        }
        mutating func values(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    static let shapes: [Shape] = [
        Shape(m: 1, k: 1, n: 1), Shape(m: 7, k: 13, n: 5), Shape(m: 1000, k: 3, n: 77),
        Shape(m: 5, k: 1000, n: 1), Shape(m: 33, k: 65, n: 129), Shape(m: 1, k: 77, n: 300),
        Shape(m: 1, k: 300, n: 5), Shape(m: 70, k: 40, n: 1),
        // Narrow column panels (one, two and three vectors wide).
        Shape(m: 13, k: 20, n: 20), Shape(m: 50, k: 30, n: 100),
        // Deep and narrow: on 2 threads the depth blocks run side by side (weight gradients).
        Shape(m: 20, k: 3000, n: 70),
    ]

    /// portable, then avx2 and avx512 where the CPU has them.
    static var supportedPaths: [funnel_cpu_path] {
        (0...funnel_detected_path().rawValue).map { funnel_cpu_path(rawValue: $0) }
    }

    /// Runs `body` with the given path and thread count, then restores the previous ones.
    static func with<Result>(
        path: funnel_cpu_path, threads: Int, _ body: () throws -> Result
    ) rethrows -> Result {
        let savedPath = funnel_active_path()
        let savedThreads = funnel_thread_count()
        defer {
            funnel_set_path(savedPath)
            funnel_set_thread_count(savedThreads)
        }
        funnel_set_path(path)
        funnel_set_thread_count(Int32(threads))
        return try body()
    }

    @Test(arguments: shapes)
    func matchesReference(shape: Shape) {
        let alpha: Float = -1.25
        for form in Form.allCases {
            let problem = Problem(shape, form)
            let products = problem.products()
            for beta: Float in [0, 0.5] {
                for path in Self.supportedPaths {
                    for threads in [1, 2] {
                        let output = Self.with(path: path, threads: threads) {
                            problem.run(alpha: alpha, beta: beta)
                        }
                        let result = problem.mismatches(
                            output, alpha: alpha, beta: beta, products: products)
                        #expect(
                            result.count == 0,
                            """
                            \(shape.testDescription) \(form) beta \(beta) \
                            \(String(cString: funnel_path_name(path))) \(threads) threads: \
                            \(result.count) wrong, first \(result.first ?? "")
                            """)
                    }
                }
            }
        }
    }

    /// Shapes that the 2-thread split really divides: by rows, by columns (few rows), both
    /// matrix-vector forms, and by depth blocks (a weight gradient over 6,400 rows; one block
    /// past a whole number of them; 64 outputs of 256 inputs, computed as Xᵀ·G), whose sums must
    /// keep the one-thread bits.
    static let splitShapes: [(Shape, Form)] = [
        (Shape(m: 200, k: 300, n: 150), .nn), (Shape(m: 200, k: 300, n: 150), .tn),
        (Shape(m: 8, k: 500, n: 700), .nt), (Shape(m: 2100, k: 300, n: 1), .nn),
        (Shape(m: 2100, k: 300, n: 1), .tn), (Shape(m: 1, k: 300, n: 2100), .nn),
        (Shape(m: 50, k: 6400, n: 50), .tn), (Shape(m: 50, k: 1100, n: 64), .nt),
        (Shape(m: 64, k: 2600, n: 256), .tn),
    ]

    @Test func twoThreadsAreDeterministicAndMatchOneThread() {
        let path = funnel_detected_path()
        for (shape, form) in Self.splitShapes {
            let problem = Problem(shape, form, seed: 7)
            let first = Self.with(path: path, threads: 2) { problem.run(alpha: 0.75, beta: 0.5) }
            let second = Self.with(path: path, threads: 2) { problem.run(alpha: 0.75, beta: 0.5) }
            let single = Self.with(path: path, threads: 1) { problem.run(alpha: 0.75, beta: 0.5) }
            let label = "\(shape.testDescription) \(form)"
            #expect(first.map(\.bitPattern) == second.map(\.bitPattern), "\(label) run twice")
            #expect(first.map(\.bitPattern) == single.map(\.bitPattern), "\(label) vs 1 thread")
            // Spot-check the threaded result against the reference on a fixed sample.
            var generator = Generator(state: 3)
            var wrong = 0
            for _ in 0..<64 {
                let i = Int((generator.next() + 1) / 2 * Float(shape.m)) % shape.m
                let j = Int((generator.next() + 1) / 2 * Float(shape.n)) % shape.n
                let (sum, magnitude) = problem.product(i, j)
                let start = 0.5 * Double(problem.c[i * problem.ldc + j])
                let expected = 0.75 * sum + start
                let got = Double(first[i * problem.ldc + j])
                if !(abs(got - expected) <= 1e-5 * (0.75 * magnitude + abs(start)) + 1e-6) {
                    wrong += 1
                }
            }
            #expect(wrong == 0, "\(label)")
        }
    }

    /// A batch with B shared (stride 0), small products (split across the batch on 2 threads;
    /// up to 2¹⁵ multiply-adds they take the small-product loops: attention heads, outer
    /// products, one-row products, widths off the 16-column block) and large ones (each split on
    /// its own), against the reference and single products.
    @Test(arguments: [
        Shape(m: 20, k: 30, n: 17), Shape(m: 30, k: 8, n: 30), Shape(m: 1, k: 20, n: 32), Shape(m: 20, k: 1, n: 32),
        Shape(m: 7, k: 5, n: 33), Shape(m: 150, k: 200, n: 150),
    ])
    func batchedWithSharedOperand(shape: Shape) {
        let batch = 3
        for form in Form.allCases {
            let problems = (0..<batch).map { Problem(shape, form, seed: UInt64(10 + $0)) }
            let shared = problems[0].b
            let strideA = problems[0].a.count, strideC = problems[0].c.count
            let allA = problems.flatMap(\.a)
            let startC = problems.flatMap(\.c)
            // The large case runs on the best path only: -O0 builds of the others are slow.
            let paths =
                shape.m * shape.n * shape.k > 100_000
                ? [funnel_detected_path()] : Self.supportedPaths
            for path in paths {
                for threads in [1, 2] {
                    var output = startC
                    Self.with(path: path, threads: threads) {
                        allA.withUnsafeBufferPointer { a in
                            shared.withUnsafeBufferPointer { b in
                                output.withUnsafeMutableBufferPointer { c in
                                    funnel_sgemm_batched(
                                        form.transposesA ? 1 : 0, form.transposesB ? 1 : 0,
                                        batch, shape.m, shape.n, shape.k, 1.5, a.baseAddress,
                                        problems[0].lda, strideA, b.baseAddress, problems[0].ldb,
                                        0, 0.5, c.baseAddress, problems[0].ldc, strideC)
                                }
                            }
                        }
                    }
                    for index in 0..<batch {
                        // Product i uses A_i and the shared B (problem 0's).
                        let problem = Problem(
                            shape: shape, form: form, a: problems[index].a, b: shared,
                            c: problems[index].c, lda: problems[index].lda,
                            ldb: problems[index].ldb, ldc: problems[index].ldc)
                        let single = Self.with(path: path, threads: 1) {
                            problem.run(alpha: 1.5, beta: 0.5)
                        }
                        let slice = Array(output[(index * strideC)..<((index + 1) * strideC)])
                        #expect(
                            slice.map(\.bitPattern) == single.map(\.bitPattern),
                            "\(shape.testDescription) \(form) product \(index) \(threads) threads")
                        if shape.m * shape.n * shape.k <= 20_000 {
                            let result = problem.mismatches(
                                slice, alpha: 1.5, beta: 0.5, products: problem.products())
                            #expect(result.count == 0, "\(result.first ?? "")")
                        }
                    }
                }
            }
        }
    }

    /// Many small products split across the pool: each task's own GEMM asks for the thread
    /// count from inside the job (this deadlocked while that read took the submit lock).
    @Test func manySmallBatchedProductsOnTwoThreads() {
        let batch = 512, m = 30, n = 30, k = 8
        var generator = SystemRandomNumberGenerator()
        let a = (0..<(batch * m * k)).map { _ in Float.random(in: -1...1, using: &generator) }
        let b = (0..<(batch * n * k)).map { _ in Float.random(in: -1...1, using: &generator) }
        func run(threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: batch * m * n)
            Self.with(path: funnel_detected_path(), threads: threads) {
                funnel_sgemm_batched(0, 1, batch, m, n, k, 1, a, k, m * k, b, k, n * k, 0, &c, n, m * n)
            }
            return c
        }
        #expect(run(threads: 2).map(\.bitPattern) == run(threads: 1).map(\.bitPattern))
    }

    @Test func emptyAndDegenerateProducts() {
        var c: [Float] = [1, 2, 3, 4, 5, 6]
        let a: [Float] = [.nan, .nan, .nan, .nan, .nan, .nan]
        // m = 0 or n = 0: nothing is touched.
        funnel_sgemm(0, 0, 0, 3, 2, 1, a, 2, a, 3, 0, &c, 3)
        funnel_sgemm(0, 0, 2, 0, 2, 1, a, 2, a, 3, 0, &c, 3)
        #expect(c == [1, 2, 3, 4, 5, 6])
        // k = 0: C = beta·C, and beta = 0 clears C even when it holds NaN.
        funnel_sgemm(0, 0, 2, 3, 0, 1, a, 1, a, 3, 0.5, &c, 3)
        #expect(c == [0.5, 1, 1.5, 2, 2.5, 3])
        var poisoned: [Float] = [.nan, 1, .infinity, 2, .nan, 3]
        funnel_sgemm(0, 0, 2, 3, 0, 1, a, 1, a, 3, 0, &poisoned, 3)
        #expect(poisoned == [0, 0, 0, 0, 0, 0])
        // alpha = 0: A and B are not read (their NaNs do not propagate).
        funnel_sgemm(0, 0, 2, 3, 2, 0, a, 2, a, 3, 2, &c, 3)
        #expect(c == [1, 2, 3, 4, 5, 6])
        // Batches: batch = 0 does nothing; a batch of k = 0 products scales every C.
        funnel_sgemm_batched(0, 0, 0, 1, 3, 2, 1, a, 2, 0, a, 3, 0, 0, &c, 3, 3)
        #expect(c == [1, 2, 3, 4, 5, 6])
        funnel_sgemm_batched(0, 0, 2, 1, 3, 0, 1, a, 1, 0, a, 3, 0, 2, &c, 3, 3)
        #expect(c == [2, 4, 6, 8, 10, 12])
    }
}

extension GEMMTests.Problem {
    /// A problem from given operands (for batched products that share one of them).
    init(
        shape: GEMMTests.Shape, form: GEMMTests.Form, a: [Float], b: [Float], c: [Float],
        lda: Int, ldb: Int, ldc: Int
    ) {
        self.shape = shape
        self.form = form
        self.a = a
        self.b = b
        self.c = c
        self.lda = lda
        self.ldb = ldb
        self.ldc = ldc
    }
}
