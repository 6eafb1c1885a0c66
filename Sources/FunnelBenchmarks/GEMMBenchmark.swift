import CFunnelKernels
import Foundation

/// `funnel bench gemm`: SGEMM throughput of Funnel on one and two threads, against OpenBLAS on
/// one thread where `libopenblas.so.0` can be loaded, measured in the same run.
///
/// Each candidate (Funnel on 1 thread, Funnel on 2 threads, OpenBLAS on 1 thread) is warmed up
/// and calibrated so that one repetition lasts at least `minimumRepetitionSeconds`; the
/// repetitions of the candidates are interleaved, and the median and range over repetitions
/// are reported.
public struct GEMMBenchmark: Sendable {
    /// Which operands are transposed: NN is C = A·B (forward), NT is C = A·Bᵀ, TN is C = Aᵀ·B.
    public enum Form: String, Codable, Sendable, CaseIterable {
        case nn = "NN"
        case nt = "NT"
        case tn = "TN"
        case tt = "TT"

        var transposesA: Bool { self == .tn || self == .tt }
        var transposesB: Bool { self == .nt || self == .tt }
    }

    /// A product C[m×n] = op(A)[m×k] · op(B)[k×n].
    public struct Shape: Codable, Sendable, Hashable, CustomStringConvertible {
        public var m: Int
        public var k: Int
        public var n: Int

        /// Creates the shape of C[m×n] = op(A)[m×k] · op(B)[k×n].
        public init(m: Int, k: Int, n: Int) {
            self.m = m
            self.k = k
            self.n = n
        }

        public var description: String { "\(m)×\(k)×\(n)" }
    }

    /// One measured shape and form. Throughputs are GFLOP/s (2·m·n·k per product).
    public struct Row: Codable, Sendable {
        public var shape: Shape
        public var form: Form
        /// The CPU path Funnel's kernels took ("avx512", "avx2" or "portable").
        public var path: String
        /// Funnel on 1 thread: median, minimum and maximum over repetitions.
        public var funnel1: Double
        public var funnel1Minimum: Double
        public var funnel1Maximum: Double
        /// Funnel on 2 threads: median, minimum and maximum over repetitions.
        public var funnel2: Double
        public var funnel2Minimum: Double
        public var funnel2Maximum: Double
        /// OpenBLAS on 1 thread (nil when the library could not be loaded).
        public var openBLAS: Double?
        public var openBLASMinimum: Double?
        public var openBLASMaximum: Double?

        /// Funnel (1 thread) / OpenBLAS (1 thread).
        public var ratio: Double? { openBLAS.map { funnel1 / $0 } }
        /// Funnel (2 threads) / Funnel (1 thread).
        public var speedup: Double { funnel2 / funnel1 }

        private enum CodingKeys: String, CodingKey {
            case shape, form, path, funnel1, funnel1Minimum, funnel1Maximum, funnel2,
                funnel2Minimum, funnel2Maximum, openBLAS, openBLASMinimum, openBLASMaximum,
                ratio, speedup
        }

        /// Creates a row from measured throughputs (GFLOP/s).
        public init(
            shape: Shape, form: Form, path: String, funnel1: Double, funnel1Minimum: Double,
            funnel1Maximum: Double, funnel2: Double, funnel2Minimum: Double,
            funnel2Maximum: Double, openBLAS: Double?, openBLASMinimum: Double?,
            openBLASMaximum: Double?
        ) {
            self.shape = shape
            self.form = form
            self.path = path
            self.funnel1 = funnel1
            self.funnel1Minimum = funnel1Minimum
            self.funnel1Maximum = funnel1Maximum
            self.funnel2 = funnel2
            self.funnel2Minimum = funnel2Minimum
            self.funnel2Maximum = funnel2Maximum
            self.openBLAS = openBLAS
            self.openBLASMinimum = openBLASMinimum
            self.openBLASMaximum = openBLASMaximum
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            shape = try container.decode(Shape.self, forKey: .shape)
            form = try container.decode(Form.self, forKey: .form)
            path = try container.decode(String.self, forKey: .path)
            funnel1 = try container.decode(Double.self, forKey: .funnel1)
            funnel1Minimum = try container.decode(Double.self, forKey: .funnel1Minimum)
            funnel1Maximum = try container.decode(Double.self, forKey: .funnel1Maximum)
            funnel2 = try container.decode(Double.self, forKey: .funnel2)
            funnel2Minimum = try container.decode(Double.self, forKey: .funnel2Minimum)
            funnel2Maximum = try container.decode(Double.self, forKey: .funnel2Maximum)
            openBLAS = try container.decodeIfPresent(Double.self, forKey: .openBLAS)
            openBLASMinimum = try container.decodeIfPresent(Double.self, forKey: .openBLASMinimum)
            openBLASMaximum = try container.decodeIfPresent(Double.self, forKey: .openBLASMaximum)
        }

        // The derived ratio and speedup are written too, for readers of the JSON.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(shape, forKey: .shape)
            try container.encode(form, forKey: .form)
            try container.encode(path, forKey: .path)
            try container.encode(funnel1, forKey: .funnel1)
            try container.encode(funnel1Minimum, forKey: .funnel1Minimum)
            try container.encode(funnel1Maximum, forKey: .funnel1Maximum)
            try container.encode(funnel2, forKey: .funnel2)
            try container.encode(funnel2Minimum, forKey: .funnel2Minimum)
            try container.encode(funnel2Maximum, forKey: .funnel2Maximum)
            try container.encodeIfPresent(openBLAS, forKey: .openBLAS)
            try container.encodeIfPresent(openBLASMinimum, forKey: .openBLASMinimum)
            try container.encodeIfPresent(openBLASMaximum, forKey: .openBLASMaximum)
            try container.encodeIfPresent(ratio, forKey: .ratio)
            try container.encode(speedup, forKey: .speedup)
        }
    }

    /// The shapes of an ESMM tower's layers (batch 1024) and one large square product.
    public static let defaultShapes: [Shape] = [
        Shape(m: 1024, k: 256, n: 128), Shape(m: 1024, k: 512, n: 256),
        Shape(m: 1024, k: 128, n: 64), Shape(m: 1024, k: 64, n: 1),
        Shape(m: 2048, k: 2048, n: 2048),
    ]

    /// The forward product and both backward ones.
    public static let defaultForms: [Form] = [.nn, .nt, .tn]

    /// Measures every shape in every form. `progress` is called with each row as it is done.
    /// Funnel's thread count is restored afterwards.
    public static func run(
        shapes: [Shape] = defaultShapes, forms: [Form] = defaultForms, repetitions: Int = 7,
        minimumRepetitionSeconds: Double = 0.02, compareWithOpenBLAS: Bool = true,
        progress: ((Row) -> Void)? = nil
    ) -> [Row] {
        let openBLAS = compareWithOpenBLAS ? OpenBLAS() : nil
        openBLAS?.setThreadCount(1)
        let savedThreadCount = Int(funnel_thread_count())
        defer { funnel_set_thread_count(Int32(savedThreadCount)) }
        let path = String(cString: funnel_path_name(funnel_active_path()))
        var rows: [Row] = []
        for shape in shapes {
            let operands = Operands(shape: shape)
            for form in forms {
                let row = measure(
                    shape: shape, form: form, operands: operands, openBLAS: openBLAS, path: path,
                    repetitions: max(repetitions, 1),
                    minimumRepetitionSeconds: minimumRepetitionSeconds)
                rows.append(row)
                progress?(row)
            }
        }
        return rows
    }

    /// A fixed-width text table of the rows.
    public static func table(_ rows: [Row]) -> String {
        func number(_ value: Double?, _ decimals: Int = 1) -> String {
            guard let value else { return "—" }
            return String(format: "%.\(decimals)f", value)
        }
        func range(_ minimum: Double?, _ maximum: Double?) -> String {
            guard let minimum, let maximum else { return "" }
            return "\(number(minimum))–\(number(maximum))"
        }
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let count = text.count
            if count >= width { return text }
            let padding = String(repeating: " ", count: width - count)
            return left ? text + padding : padding + text
        }
        let header = [
            pad("M×K×N", 15, left: true), pad("form", 5, left: true), pad("path", 9, left: true),
            pad("Funnel 1T", 10), pad("(range)", 13), pad("Funnel 2T", 10), pad("(range)", 13),
            pad("2T/1T", 6), pad("OpenBLAS 1T", 12), pad("(range)", 13), pad("ratio", 6),
        ].joined(separator: " ")
        var lines = [header, String(repeating: "-", count: header.count)]
        for row in rows {
            lines.append(
                [
                    pad(row.shape.description, 15, left: true),
                    pad(row.form.rawValue, 5, left: true),
                    pad(row.path, 9, left: true), pad(number(row.funnel1), 10),
                    pad(range(row.funnel1Minimum, row.funnel1Maximum), 13),
                    pad(number(row.funnel2), 10),
                    pad(range(row.funnel2Minimum, row.funnel2Maximum), 13),
                    pad(number(row.speedup, 2), 6), pad(number(row.openBLAS), 12),
                    pad(range(row.openBLASMinimum, row.openBLASMaximum), 13),
                    pad(number(row.ratio, 3), 6),
                ].joined(separator: " "))
        }
        lines.append("GFLOP/s, median of interleaved repetitions; ratio = Funnel 1T / OpenBLAS 1T.")
        return lines.joined(separator: "\n")
    }

    // MARK: - Measurement

    /// The three operands, large enough for every form (op(A) is m×k, op(B) is k×n either way).
    private final class Operands {
        var a: [Float]
        var b: [Float]
        var c: [Float]

        init(shape: Shape) {
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            func next() -> Float {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 40) & 0xFFFF) / 32768 - 1
            }
            a = (0..<(shape.m * shape.k)).map { _ in next() }
            b = (0..<(shape.k * shape.n)).map { _ in next() }
            c = [Float](repeating: 0, count: shape.m * shape.n)
        }
    }

    private enum Candidate {
        case funnel(threads: Int)
        case openBLAS(OpenBLAS)
    }

    private static func measure(
        shape: Shape, form: Form, operands: Operands, openBLAS: OpenBLAS?, path: String,
        repetitions: Int, minimumRepetitionSeconds: Double
    ) -> Row {
        let lda = form.transposesA ? shape.m : shape.k
        let ldb = form.transposesB ? shape.k : shape.n
        var candidates: [Candidate] = [.funnel(threads: 1), .funnel(threads: 2)]
        if let openBLAS { candidates.append(.openBLAS(openBLAS)) }

        func call(_ candidate: Candidate, times: Int) {
            operands.a.withUnsafeBufferPointer { a in
                operands.b.withUnsafeBufferPointer { b in
                    operands.c.withUnsafeMutableBufferPointer { c in
                        for _ in 0..<times {
                            switch candidate {
                            case .funnel:
                                funnel_sgemm(
                                    form.transposesA ? 1 : 0, form.transposesB ? 1 : 0, shape.m,
                                    shape.n, shape.k, 1, a.baseAddress, lda, b.baseAddress, ldb, 0,
                                    c.baseAddress, shape.n)
                            case .openBLAS(let library):
                                library.sgemm(
                                    transposeA: form.transposesA, transposeB: form.transposesB,
                                    m: shape.m, n: shape.n, k: shape.k, alpha: 1,
                                    a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                    beta: 0, c: c.baseAddress!, ldc: shape.n)
                            }
                        }
                    }
                }
            }
        }
        func timed(_ candidate: Candidate, times: Int) -> Double {
            if case .funnel(let threads) = candidate { funnel_set_thread_count(Int32(threads)) }
            let start = ContinuousClock.now
            call(candidate, times: times)
            let elapsed = start.duration(to: .now).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        }

        // Warm up (caches, thread pool, page faults), then size each repetition.
        var callsPerRepetition: [Int] = []
        for candidate in candidates {
            _ = timed(candidate, times: 1)
            var calls = 1
            var seconds = timed(candidate, times: calls)
            while seconds < minimumRepetitionSeconds / 4 {
                calls *= 2
                seconds = timed(candidate, times: calls)
            }
            let perCall = seconds / Double(calls)
            let needed = Int((minimumRepetitionSeconds / perCall).rounded(.up))
            callsPerRepetition.append(max(1, needed))
        }

        let flops = 2.0 * Double(shape.m) * Double(shape.n) * Double(shape.k)
        var samples = [[Double]](repeating: [], count: candidates.count)
        for _ in 0..<repetitions {
            for (index, candidate) in candidates.enumerated() {
                let calls = callsPerRepetition[index]
                let seconds = timed(candidate, times: calls)
                samples[index].append(flops * Double(calls) / seconds * 1e-9)
            }
        }
        typealias Summary = (median: Double, minimum: Double, maximum: Double)
        let summaries = samples.map { values -> Summary in
            let sorted = values.sorted()
            let middle = sorted.count / 2
            let median =
                sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            return (median, sorted.first!, sorted.last!)
        }
        let blas = summaries.count > 2 ? summaries[2] : nil
        return Row(
            shape: shape, form: form, path: path, funnel1: summaries[0].median,
            funnel1Minimum: summaries[0].minimum, funnel1Maximum: summaries[0].maximum,
            funnel2: summaries[1].median, funnel2Minimum: summaries[1].minimum,
            funnel2Maximum: summaries[1].maximum, openBLAS: blas?.median,
            openBLASMinimum: blas?.minimum, openBLASMaximum: blas?.maximum)
    }
}
