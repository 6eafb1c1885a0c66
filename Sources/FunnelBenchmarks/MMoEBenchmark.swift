import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelNN
import FunnelTensor

/// `funnel bench mmoe`: trains the registry model `mmoe` (multitask.md §0–§1) in the
/// configuration of `Benchmarks/torch_mmoe.py` for one epoch on the rows that
/// `torch_mmoe.py --dump` writes, and reports training and inference samples/s, peak resident
/// memory and the held-out AUC of each task — optionally beside the PyTorch reference run in the
/// same invocation.
public enum MMoEBenchmark {
    /// One system's figures (the tasks are CTR on `click` and CTCVR on `conversion`).
    public typealias Result = ESMMBenchmark.Result

    public struct Options: Sendable {
        public var dataDirectory: String
        public var threads = 2
        /// `torch_mmoe.py`'s batch (§0's 2048).
        public var batchSize = 2048
        /// Warm-up training steps before the timed epoch (as the reference's `--warmup`).
        public var warmupBatches = 10
        /// Funnel's initialisation seed, and the reference's `--init-seed` (torch.manual_seed).
        public var seed: UInt64 = 0
        /// `torch_mmoe.py`, to run as the reference in the same invocation (nil: Funnel only).
        public var referenceScript: String?
        /// The PyTorch optimizer variants to run.
        public var referenceVariants = ["dense-fused"]
        /// Progress lines go here.
        public var log: @Sendable (String) -> Void = { _ in }

        public init(dataDirectory: String) {
            self.dataDirectory = dataDirectory
        }
    }

    /// The rows `torch_mmoe.py` draws by default (and `--dump` writes).
    static let referenceRows = (train: 300_000, test: 50_000)

    static let fields = (0..<16).map { "f\($0)" }
    static let denseColumns = (0..<16).map { "d\($0)" }

    /// The network of `torch_mmoe.py`: a smaller configuration than §0's defaults (d 16, not 128;
    /// experts (256, 128), not (512, 256); towers (64, 32), not (128, 64)); 8 experts, dropout
    /// 0.2 and BatchNorm as §0; tasks `ctr` on `click` and `ctcvr` on `conversion`.
    static var referenceConfiguration: MMoEModel.Configuration {
        var configuration = MMoEModel.Configuration()
        configuration.categorical = fields
        configuration.dense = denseColumns
        configuration.embeddingDimensions = 16
        configuration.experts = 8
        configuration.expertHidden = [256, 128]
        configuration.towerHidden = [64, 32]
        configuration.dropout = 0.2
        configuration.batchNorm = true
        return configuration
    }

    /// Runs Funnel (and the reference, when given) and returns every system's figures.
    public static func run(_ options: Options) throws -> [Result] {
        try ReferenceScript.check(options.referenceScript)
        return try ESMMBenchmark.withReferences(
            funnel: runFunnel(options), script: options.referenceScript, defaultRows: referenceRows,
            variants: options.referenceVariants, log: options.log
        ) { script, variant, rows in
            try runReference(script: script, variant: variant, options: options, rows: rows)
        }
    }

    static func runFunnel(_ options: Options) throws -> Result {
        Compute.threadCount = options.threads
        let dataset = try Dataset.load(options.dataDirectory)
        let train = try dataset.split("train")
        let network = try MMoEModel(dataset: dataset, configuration: referenceConfiguration, seed: options.seed)
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: options.batchSize, shuffle: false, columns: network.requirements.columns)
        options.log("Funnel mmoe: \(train.rowCount) rows, \(batcher.batches(epoch: 0).count) batches of \(options.batchSize), \(options.threads) threads")
        let seconds = try TimedEpoch(learningRate: 1e-3, warmup: options.warmupBatches, progressEvery: 50)
            .train(network, batcher: batcher, log: options.log)
        let trained = train.rowCount
        let (ctrAUC, ctcvrAUC, inference) = try evaluate(network, dataset: dataset, batchSize: options.batchSize)
        return Result(
            system: "Funnel mmoe", trainSamplesPerSecond: Double(trained) / seconds, inferenceSamplesPerSecond: inference,
            peakResidentMebibytes: ESMMBenchmark.peakResidentMebibytes(), ctrAUC: ctrAUC, ctcvrAUC: ctcvrAUC,
            trainingRows: trained, testRows: try dataset.split("test").rowCount, threads: options.threads)
    }

    /// Held-out AUCs (σ of each task's logit) and inference samples/s (median of 5 passes at the
    /// training batch size).
    private static func evaluate(_ network: MMoEModel, dataset: Dataset, batchSize: Int) throws -> (Double, Double, Double) {
        network.train(false)
        defer { network.train() }
        let batcher = try Batcher(
            dataset: dataset, split: "test", batchSize: batchSize, shuffle: false, columns: network.requirements.columns)
        let batches = batcher.batches(epoch: 0).map { batcher.batch($0) }
        var ctr: [Double] = []
        var ctcvr: [Double] = []
        let rate = try TimedEpoch.inferenceRate(batches) { batch, keep in
            let logits = try network(batch)
            let click = logits["ctr"]!.sigmoid()
            let conversion = logits["ctcvr"]!.sigmoid()
            if keep {
                ctr.append(contentsOf: click.scalars.map(Double.init))
                ctcvr.append(contentsOf: conversion.scalars.map(Double.init))
            }
        }
        let clicks = batches.flatMap { $0.floats["click"]! }.map(Double.init)
        let conversions = batches.flatMap { $0.floats["conversion"]! }.map(Double.init)
        return (
            try Metrics.auc(scores: ctr, labels: clicks), try Metrics.auc(scores: ctcvr, labels: conversions),
            rate
        )
    }
}
