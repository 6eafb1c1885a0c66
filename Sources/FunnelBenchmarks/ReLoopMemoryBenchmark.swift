import Foundation
import FunnelModels
import FunnelTensor

/// `funnel bench reloop-memory`: the cost of ReLoop2's error memories (Zhu et al., KDD 2023,
/// arXiv 2306.08808; adaptation.md §2.3) per sample of a serving chunk — read, compensate,
/// write — and their bytes, to set against the base model's serving time.
///
/// Each memory is first filled with `filledSamples` samples (so the nearest-neighbour memory
/// reads at its steady-state size; the sketch's cost does not depend on it), then each of
/// `timedChunks` fresh chunks of `rows` keys `[rows × d]` (standard normal, as a hidden layer),
/// labels (Bernoulli 0.3) and base predictions (uniform) is read, compensated and written, as
/// a replay does (§2.4). Times are the median over the chunks, divided by `rows`.
public enum ReLoopMemoryBenchmark {
    public struct Options: Sendable {
        /// Rows per chunk.
        public var rows = 1024
        /// `d`, the key width.
        public var dimensions = 64
        /// Samples written before timing.
        public var filledSamples = 100_000
        /// Timed chunks (the median is reported).
        public var timedChunks = 5
        public var threads = 2
        /// The memories' settings; both kinds are measured with it.
        public var configuration = ReLoopConfiguration()
        /// The seed of the keys, labels and base predictions.
        public var seed: UInt64 = 1
        public var log: (@Sendable (String) -> Void)?

        public init() {}
    }

    public struct Result: Codable, Sendable {
        /// `sketch` or `nearest`.
        public var memory: String
        /// The memory's sizes (`K 100, L 16` or `k 100, capacity 100000, σ 0`).
        public var settings: String
        public var rows: Int
        public var dimensions: Int
        /// Samples written since the reset when timing starts (the nearest memory holds at most its capacity).
        public var storedSamples: Int
        /// Median microseconds per sample over the timed chunks.
        public var readMicroseconds: Double
        public var compensateMicroseconds: Double
        public var writeMicroseconds: Double
        /// Read + compensate + write.
        public var totalMicroseconds: Double
        /// Read-outs per query, on average.
        public var readOutsPerQuery: Double
        /// ``ErrorMemory/byteSize`` after the timed chunks.
        public var byteSize: Int
        /// The bytes of the full memory (``ReLoopConfiguration/fullByteSize(dimensions:)``).
        public var fullByteSize: Int
    }

    /// A chunk of synthetic samples.
    struct Chunk {
        var keys: [Float]
        var labels: [Float]
        var basePredictions: [Float]

        init(rows: Int, dimensions: Int, generator: inout RandomGenerator) {
            keys = (0..<(rows * dimensions)).map { _ in generator.nextNormal() }
            labels = (0..<rows).map { _ in generator.nextUnitFloat() < 0.3 ? 1 : 0 }
            basePredictions = (0..<rows).map { _ in generator.nextUnitFloat() }
        }
    }

    /// Measures the sketch, then the nearest-neighbour memory.
    public static func run(_ options: Options) -> [Result] {
        Compute.withThreads(options.threads) {
            ReLoopConfiguration.MemoryKind.allCases.map { kind in
                var configuration = options.configuration
                configuration.memory = kind
                return measure(configuration, options)
            }
        }
    }

    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now()
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func measure(_ configuration: ReLoopConfiguration, _ options: Options) -> Result {
        let (rows, dimensions) = (options.rows, options.dimensions)
        var generator = RandomGenerator(seed: options.seed)
        var memory = configuration.makeMemory(dimensions: dimensions)
        var filled = 0
        let fill = seconds {
            while filled < options.filledSamples {
                let chunk = Chunk(rows: Swift.min(rows, options.filledSamples - filled), dimensions: dimensions, generator: &generator)
                memory.write(keys: chunk.keys, labels: chunk.labels, basePredictions: chunk.basePredictions)
                filled += chunk.labels.count
            }
        }
        options.log?("\(configuration.memory.rawValue): filled with \(filled) samples in \(String(format: "%.2f", fill)) s")
        let stored = memory.storedSamples
        var reads: [Double] = []
        var compensations: [Double] = []
        var writes: [Double] = []
        var readOuts = 0
        for _ in 0..<Swift.max(1, options.timedChunks) {
            let chunk = Chunk(rows: rows, dimensions: dimensions, generator: &generator)
            var read = ErrorMemoryReadOuts(rows: 0, slots: 0)
            reads.append(seconds { read = memory.readOuts(queries: chunk.keys) })
            var predictions: [Float] = []
            compensations.append(seconds {
                predictions = configuration.compensation.compensate(basePredictions: chunk.basePredictions, readOuts: read)
            })
            precondition(predictions.count == rows)
            writes.append(seconds { memory.write(keys: chunk.keys, labels: chunk.labels, basePredictions: chunk.basePredictions) })
            readOuts += read.count
        }
        let perSample = 1e6 / Double(rows)
        let (read, compensate, write) = (median(reads) * perSample, median(compensations) * perSample, median(writes) * perSample)
        let settings = configuration.memory == .sketch
            ? "K \(configuration.arrays), L \(configuration.bits)"
            : "k \(configuration.neighbours), capacity \(configuration.capacity), σ \(configuration.errorThreshold)"
        return Result(
            memory: configuration.memory.rawValue, settings: settings, rows: rows, dimensions: dimensions, storedSamples: stored,
            readMicroseconds: read, compensateMicroseconds: compensate, writeMicroseconds: write,
            totalMicroseconds: read + compensate + write,
            readOutsPerQuery: Double(readOuts) / Double(rows * Swift.max(1, options.timedChunks)),
            byteSize: memory.byteSize, fullByteSize: configuration.fullByteSize(dimensions: dimensions))
    }

    public static func table(_ results: [Result]) -> String {
        var lines = ["memory   settings                          stored   read µs  comp µs  write µs  total µs  read-outs        MiB   full MiB"]
        for result in results {
            lines.append(String(
                format: "%@ %@ %8d %9.2f %8.2f %9.2f %9.2f %10.1f %10.1f %10.1f",
                result.memory.padding(toLength: 8, withPad: " ", startingAt: 0),
                result.settings.padding(toLength: 32, withPad: " ", startingAt: 0),
                result.storedSamples, result.readMicroseconds, result.compensateMicroseconds, result.writeMicroseconds,
                result.totalMicroseconds, result.readOutsPerQuery, Double(result.byteSize) / 1_048_576,
                Double(result.fullByteSize) / 1_048_576))
        }
        if let first = results.first {
            lines.append("Per sample of a \(first.rows)-row chunk at d = \(first.dimensions) (median over the timed chunks): read, compensate (ReLoop2 §2.2), write.")
        }
        return lines.joined(separator: "\n")
    }
}
