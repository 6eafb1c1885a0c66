import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor

/// `funnel bench base`: simulates the homepage world of `funnel demo`, trains the registry model
/// `base` (``ETAModel``, USD §2.4, in the demo's configuration) for one epoch and reports training
/// and inference samples/s, peak resident memory and the test AUC — optionally beside
/// `Benchmarks/torch_base.py`, which reads the same rows from a dump (``BASEReferenceDump``) and
/// runs in the same invocation.
///
/// Both sides see the rows in the split's order (no shuffling), the same warm-up steps on the
/// first batches before the timed epoch, Adam at lr 0.01 and batches of 1024 (the demo's).
public enum BASEBenchmark {
    /// One system's figures.
    public struct Result: Codable, Sendable {
        public var system: String
        public var trainSamplesPerSecond: Double
        public var inferenceSamplesPerSecond: Double
        public var peakResidentMebibytes: Double
        /// The test split's AUC of σ(logit) against `click` after the epoch.
        public var auc: Double
        public var trainingRows: Int
        public var testRows: Int
        public var threads: Int
        /// A reference started from Funnel's initial weights: the largest |Δ| between its
        /// untrained logits on the first test batch and Funnel's (nil: Funnel, or its own init).
        public var initialLogitDifference: Double?
    }

    public struct Options: Sendable {
        /// The homepage world's size and seed (the first worlds' demo, whose knobs the benchmark
        /// keeps so that its numbers stay comparable across sessions); the seed is also Funnel's
        /// model seed and the reference's `--init-seed`.
        public var users = 20_000
        public var days = 14
        public var seed: UInt64 = 1
        public var threads = 2
        /// The demo's batch and learning rate.
        public var batchSize = 1024
        public var learningRate: Float = 0.01
        /// Warm-up training steps before the timed epoch (as `torch_esmm.py`'s 30).
        public var warmupBatches = 30
        /// `torch_base.py`, to run as the reference in the same invocation (nil: Funnel only).
        public var referenceScript: String?
        /// The PyTorch optimizer variants to run (`dense-fused`, `dense`, `sparse`).
        public var referenceVariants = ["dense-fused", "dense", "sparse"]
        /// Whether the reference starts from Funnel's initial weights and SimHash projection
        /// (`--funnel-init`: the AUCs then differ only by the arithmetic and the optimizers), or
        /// from its own draw of the same distributions (`--init-seed`).
        public var referenceFunnelInit = true
        /// Whether `dense-fused` also runs with `--compile` (torch.compile of the training step).
        public var referenceCompile = false
        /// Where the dump for the reference goes (nil: a temporary folder, removed afterwards).
        public var dumpDirectory: String?
        /// Progress lines go here.
        public var log: @Sendable (String) -> Void = { _ in }

        public init() {}
    }

    /// `funnel demo`'s BASE: the spec's defaults sized for the simulated sequences (50 clicked
    /// items: the long sequence keeps all, the short one the last 10, retrieval keeps 20).
    public static var configuration: ETAModel.Configuration {
        var configuration = ETAModel.Configuration()
        configuration.longLength = 50
        configuration.shortLength = 10
        configuration.retrieved = 20
        return configuration
    }

    /// The simulated homepage world of the first worlds' knobs (``HomepageScenario/firstWorlds``)
    /// in memory (train: all days but the last 2; test: those).
    public static func dataset(users: Int, days: Int, seed: UInt64) throws -> Dataset {
        let world = try ScenarioKind.homepage.simulate(users: users, days: days, seed: seed, knobs: HomepageScenario.firstWorlds)
        return try Dataset.inMemory(
            directory: NSTemporaryDirectory() + "funnel-bench-base", schema: world.schema, splits: world.splits,
            sideTables: world.sideTables)
    }

    /// The batcher of `split` as both sides read it: the model's columns and sequence length, in
    /// the split's order.
    static func batcher(_ network: ETAModel, dataset: Dataset, split: String, batchSize: Int) throws -> Batcher {
        try Batcher(
            dataset: dataset, split: split, batchSize: batchSize, shuffle: false,
            columns: network.requirements.columns, sequences: network.requirements.sequences)
    }

    /// Runs Funnel (and the reference, when given) and returns every system's figures.
    public static func run(_ options: Options) throws -> [Result] {
        try ReferenceScript.check(options.referenceScript)
        Compute.threadCount = options.threads
        let start = DispatchTime.now()
        let dataset = try dataset(users: options.users, days: options.days, seed: options.seed)
        options.log(String(format: "simulated the homepage world (%d users, %d days) in %.1f s", options.users, options.days, seconds(since: start)))
        var dumpDirectory: String?
        if options.referenceScript != nil {
            let directory = options.dumpDirectory ?? NSTemporaryDirectory() + "funnel-bench-base-\(getpid())"
            let network = try ETAModel(dataset: dataset, configuration: configuration, seed: options.seed)
            try BASEReferenceDump.write(
                network: network, dataset: dataset, batchSize: options.batchSize, learningRate: options.learningRate,
                to: directory)
            options.log("wrote the reference's rows to \(directory)")
            dumpDirectory = directory
        }
        defer {
            if let dumpDirectory, options.dumpDirectory == nil { try? FileManager.default.removeItem(atPath: dumpDirectory) }
        }
        var results = [try runFunnel(dataset: dataset, options: options)]
        if let script = options.referenceScript, let dumpDirectory {
            let runs = options.referenceVariants.map { ($0, false) } + (options.referenceCompile ? [("dense-fused", true)] : [])
            for (variant, compiled) in runs {
                options.log("running PyTorch \(variant)\(compiled ? " --compile" : "") …")
                results.append(try runReference(
                    script: script, data: dumpDirectory, variant: variant, compiled: compiled, options: options))
            }
        }
        return results
    }

    /// Trains the registry BASE for one epoch after the warm-up and measures it.
    static func runFunnel(dataset: Dataset, options: Options) throws -> Result {
        let network = try ETAModel(dataset: dataset, configuration: configuration, seed: options.seed)
        let batcher = try batcher(network, dataset: dataset, split: "train", batchSize: options.batchSize)
        let trained = try dataset.split("train").rowCount
        options.log("Funnel base: \(trained) rows, \(batcher.batches(epoch: 0).count) batches of \(options.batchSize), \(options.threads) threads")
        let seconds = try TimedEpoch(learningRate: options.learningRate, warmup: options.warmupBatches, progressEvery: 100)
            .train(network, batcher: batcher, log: options.log)
        let (auc, inference, testRows) = try evaluate(network, dataset: dataset, batchSize: options.batchSize)
        options.log(String(format: "  Funnel: %.2f s, test AUC %.4f", seconds, auc))
        return Result(
            system: "Funnel base", trainSamplesPerSecond: Double(trained) / seconds, inferenceSamplesPerSecond: inference,
            peakResidentMebibytes: ESMMBenchmark.peakResidentMebibytes(), auc: auc, trainingRows: trained,
            testRows: testRows, threads: options.threads)
    }

    /// The test AUC (σ of the logit against `click`) and inference samples/s (median of 5 timed
    /// passes at the training batch size, batches gathered beforehand as the reference holds its
    /// tensors in memory).
    private static func evaluate(_ network: ETAModel, dataset: Dataset, batchSize: Int) throws -> (Double, Double, Int) {
        network.train(false)
        defer { network.train() }
        let batcher = try batcher(network, dataset: dataset, split: "test", batchSize: batchSize)
        let batches = batcher.batches(epoch: 0).map { batcher.batch($0) }
        var scores: [Double] = []
        let rate = try TimedEpoch.inferenceRate(batches) { batch, keep in
            let probabilities = try network.logits(batch).sigmoid()
            if keep { scores.append(contentsOf: probabilities.scalars.map(Double.init)) }
        }
        let labels = batches.flatMap { $0.floats[network.label]! }.map(Double.init)
        return (try Metrics.auc(scores: scores, labels: labels), rate, batches.reduce(0) { $0 + $1.size })
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
