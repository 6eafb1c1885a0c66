import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor

/// `funnel models --bench`: the training speed of every registry model, so that a change that
/// slows one down shows.
///
/// Each model is built with its ``ModelFixture`` (the world and configuration the model-zoo test
/// trains it on) on that world simulated at a stated size, and trained as the trainer trains it:
/// its own ``FunnelModel/trainingStep`` or the ``StandardTrainingStep``, Adam (lr 1e-3), its
/// training rows (the row sampler's) and sampled negatives, random layers reseeded every step,
/// the batch cut inside the timed step. After the warm-up steps, `blocks` blocks of `steps`
/// steps are timed; the rate is the median block's samples/s, with the slowest and fastest.
public enum ModelSpeedBenchmark {
    public struct Options: Sendable {
        /// The models to measure, in this order.
        public var models = ModelKind.allCases
        public var threads = 2
        public var batchSize = 1024
        /// Untimed steps before the first block (allocations, buffer growth, first Adam moments).
        public var warmupSteps = 3
        /// Timed steps per block.
        public var steps = 30
        /// Timed blocks; the rate reported is their median.
        public var blocks = 3
        /// The size of every simulated fixture world.
        public var users = 4000
        public var days = 4
        /// The simulation's and the models' seed.
        public var seed: UInt64 = 1
        /// Where the worlds are written (a fresh temporary folder by default), removed afterwards.
        public var directory: String?
        /// Progress lines go here.
        public var log: @Sendable (String) -> Void = { _ in }

        public init() {}
    }

    /// One model's figures.
    public struct Result: Codable, Sendable {
        public var model: String
        /// The fixture world the model trained on.
        public var world: String
        /// Mean rows per timed batch (fewer than the batch size when a row sampler keeps few rows).
        public var rowsPerBatch: Double
        /// Timed steps in all (blocks × steps).
        public var timedSteps: Int
        /// The median block's training samples/s, and the slowest and fastest block's.
        public var samplesPerSecond: Double
        public var slowestSamplesPerSecond: Double
        public var fastestSamplesPerSecond: Double
        /// The growth of the resident set's high-water mark from before the model was built to
        /// the end of its timed steps (0 where `/proc` cannot say).
        public var peakMemoryDeltaMebibytes: Double
        /// Trainable scalars of the model.
        public var parameters: Int
    }

    /// A model that cannot be measured, and why.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Simulates each fixture world the chosen models need (once per world), then measures
    /// every model in turn.
    public static func run(_ options: Options) throws -> [Result] {
        precondition(options.steps > 0 && options.blocks > 0 && options.batchSize > 0, "Funnel: steps, blocks and batch size must be positive")
        Compute.threadCount = options.threads
        let directory = options.directory ?? NSTemporaryDirectory() + "funnel-models-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var worlds: [String: Dataset] = [:]
        var results: [Result] = []
        for kind in options.models {
            let fixture = kind.factory.fixture
            if worlds[fixture.world] == nil {
                guard let scenario = ScenarioKind(rawValue: fixture.world) else {
                    throw Failure(description: "\(kind.rawValue): its fixture names no simulated world ('\(fixture.world)')")
                }
                let world = try scenario.simulatedDataset(
                    users: options.users, days: options.days, seed: options.seed, directory: directory + "/" + fixture.world)
                options.log("simulated \(fixture.world): \(options.users) users, \(options.days) days, \(try world.split("train").rowCount) training rows")
                worlds[fixture.world] = world
            }
            // What the model reads beside the world's rows (a generative model's semantic IDs),
            // written as the model-zoo test writes it.
            try fixture.prepare?(worlds[fixture.world]!)
            let result = try measure(kind, dataset: worlds[fixture.world]!, options: options)
            options.log(String(format: "  %@: %.0f samples/s", kind.rawValue, result.samplesPerSecond))
            results.append(result)
        }
        return results
    }

    /// Builds `kind` on `dataset` with its fixture configuration and times its training steps.
    static func measure(_ kind: ModelKind, dataset: Dataset, options: Options) throws -> Result {
        let memoryBefore = ResidentMemory.current()
        let peakWasReset = ResidentMemory.resetPeak()
        let fixture = kind.factory.fixture
        let model = try kind.make(dataset: dataset, configuration: fixture.configuration.map { Data($0.utf8) }, seed: options.seed)
        let requirements = model.requirements
        try requirements.check(dataset, model: kind.rawValue)
        var filter: Batcher.RowFilter?
        if let kept = try requirements.rowSampler?.rows(in: dataset, split: "train") { filter = { row, _, _ in kept[row] } }
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: options.batchSize, shuffle: true, seed: options.seed,
            columns: requirements.columns, sequences: requirements.sequences, filter: filter,
            negativeSampling: requirements.negativeSampling)
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 1e-3))
        let step = model.trainingStep ?? StandardTrainingStep()
        let randomLayers = model.randomLayers()
        model.train(true)

        // The batches of successive epochs, cycled for as many steps as asked.
        var epoch = 0
        var pending: [ArraySlice<Int32>] = []
        var stepIndex = 0
        func trainOneStep() throws -> Int {
            if pending.isEmpty {
                pending = batcher.batches(epoch: epoch).reversed()
                epoch += 1
                guard !pending.isEmpty else { throw Failure(description: "\(kind.rawValue): no training rows in '\(fixture.world)'") }
            }
            var random = RandomGenerator(seed: options.seed, epoch: epoch - 1, step: stepIndex)
            stepIndex += 1
            let layerSeed = random.next()
            for layer in randomLayers { layer.reseed(layerSeed) }
            let batch = batcher.batch(pending.removeLast(), random: &random)
            _ = try step.train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            return batch.size
        }

        for _ in 0..<options.warmupSteps { _ = try trainOneStep() }
        var rates: [Double] = []
        var samples = 0
        for _ in 0..<options.blocks {
            var blockSamples = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<options.steps { blockSamples += try trainOneStep() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(blockSamples) / max(seconds, 1e-9))
            samples += blockSamples
        }
        let sorted = rates.sorted()
        let timedSteps = options.blocks * options.steps
        return Result(
            model: kind.rawValue, world: fixture.world, rowsPerBatch: Double(samples) / Double(timedSteps),
            timedSteps: timedSteps, samplesPerSecond: sorted[sorted.count / 2],
            slowestSamplesPerSecond: sorted.first!, fastestSamplesPerSecond: sorted.last!,
            peakMemoryDeltaMebibytes: max(0, (peakWasReset ? ResidentMemory.peak() : ResidentMemory.current()) - memoryBefore),
            parameters: model.namedParameters().reduce(0) { $0 + $1.parameter.count })
    }

    /// The table `funnel models --bench` prints: one line per model, then the conditions.
    public static func table(_ results: [Result], options: Options) -> String {
        let header = ["model", "world", "rows/batch", "samples/s", "min–max", "peak ΔMiB", "parameters"]
        var rows = results.map { result in
            [
                result.model, result.world, String(format: "%.0f", result.rowsPerBatch), grouped(result.samplesPerSecond),
                grouped(result.slowestSamplesPerSecond) + "–" + grouped(result.fastestSamplesPerSecond),
                String(format: "%.0f", result.peakMemoryDeltaMebibytes), grouped(Double(result.parameters)),
            ]
        }
        rows.insert(header, at: 0)
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        lines.append(
            "Each model on its fixture world (\(options.users) users, \(options.days) days, seed \(options.seed)) with its fixture "
                + "configuration, batch \(options.batchSize), \(options.threads) threads, Adam; \(options.warmupSteps) warm-up steps, "
                + "then the median of \(options.blocks) blocks of \(options.steps) steps (min–max over the blocks).")
        return lines.joined(separator: "\n")
    }

    /// A rate or count with thousands separators (`13,365`).
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var result = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 && character != "-" { result.append(",") }
            result.append(character)
        }
        return String(result.reversed())
    }
}
