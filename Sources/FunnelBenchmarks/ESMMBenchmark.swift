import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelNN
import FunnelTensor

/// `funnel bench esmm`: trains the network of `torch_esmm.py` for one epoch on the rows that
/// `torch_esmm.py --dump` writes and reports training and inference samples/s, peak resident
/// memory and the held-out AUC of CTR and CTCVR — optionally beside the PyTorch reference run
/// in the same invocation.
public enum ESMMBenchmark {
    /// One system's figures.
    public struct Result: Codable, Sendable {
        public var system: String
        public var trainSamplesPerSecond: Double
        public var inferenceSamplesPerSecond: Double
        /// Inference at batches of ``largeInferenceBatch`` rows, where measured (ESMM; the
        /// reference measures both sizes).
        public var largeBatchInferenceSamplesPerSecond: Double? = nil
        public var peakResidentMebibytes: Double
        public var ctrAUC: Double
        public var ctcvrAUC: Double
        public var trainingRows: Int
        /// Held-out rows scored for the AUCs.
        public var testRows: Int
        public var threads: Int
    }

    public struct Options: Sendable {
        public var dataDirectory: String
        public var threads = 2
        public var batchSize = 1024
        public var seed: UInt64 = 0
        /// `torch_esmm.py`, to run as the reference in the same invocation (nil: Funnel only).
        public var referenceScript: String?
        /// The PyTorch optimizer variants to run.
        public var referenceVariants = ["dense-fused", "dense"]
        /// Progress lines go here.
        public var log: @Sendable (String) -> Void = { _ in }

        public init(dataDirectory: String) {
            self.dataDirectory = dataDirectory
        }
    }

    /// The second inference batch size `torch_esmm.py` measures (beside the training batch's).
    public static let largeInferenceBatch = 8192

    /// The rows `torch_esmm.py` draws by default (and `--dump` writes).
    static let referenceRows = (train: 1_000_000, test: 100_000)

    static let fields = (0..<20).map { "f\($0)" }
    static let denseColumns = (0..<40).map { "d\($0)" }

    /// Runs Funnel (and the reference, when given) and returns every system's figures.
    public static func run(_ options: Options) throws -> [Result] {
        try ReferenceScript.check(options.referenceScript)
        return try withReferences(
            funnel: runFunnel(options), script: options.referenceScript, defaultRows: referenceRows,
            variants: options.referenceVariants, log: options.log
        ) { script, variant, rows in
            try runReference(script: script, variant: variant, options: options, rows: rows)
        }
    }

    /// Funnel's figures, then the reference's for each variant. The planted-row scripts
    /// (`torch_esmm.py`, `torch_mmoe.py`) draw their own rows (seed 42): those are the rows of
    /// `--data` only when that folder is the script's dump of its default size, so Funnel's
    /// counts are passed on and a mismatch is said.
    static func withReferences(
        funnel: Result, script: String?, defaultRows: (train: Int, test: Int), variants: [String],
        log: (String) -> Void, run: (String, String, (train: Int, test: Int)) throws -> Result
    ) rethrows -> [Result] {
        guard let script else { return [funnel] }
        let name = URL(fileURLWithPath: script).lastPathComponent
        if (funnel.trainingRows, funnel.testRows) != defaultRows {
            log(
                "warning: --data holds \(funnel.trainingRows) training and \(funnel.testRows) held-out rows, not the \(defaultRows.train) and \(defaultRows.test) of `\(name) --dump`; "
                    + "the reference trains on \(funnel.trainingRows) rows of its own draw, so its speed compares but its AUCs compare only if --data is its dump of that size")
        }
        var results = [funnel]
        for variant in variants {
            log("running PyTorch \(variant) …")
            results.append(try run(script, variant, (funnel.trainingRows, funnel.testRows)))
        }
        return results
    }

    static func runFunnel(_ options: Options) throws -> Result {
        Compute.threadCount = options.threads
        let dataset = try Dataset.load(options.dataDirectory)
        let train = try dataset.split("train")
        let network = try ESMM(dataset: dataset, configuration: referenceConfiguration, seed: options.seed)
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: options.batchSize, shuffle: false, columns: network.requirements.columns)
        options.log("Funnel: \(train.rowCount) rows, \(batcher.batches(epoch: 0).count) batches of \(options.batchSize), \(options.threads) threads")
        let seconds = try TimedEpoch(learningRate: 1e-3, warmup: 30, progressEvery: 200).train(network, batcher: batcher, log: options.log)
        let trained = train.rowCount
        let (ctrAUC, ctcvrAUC, inference) = try evaluate(network, dataset: dataset, batchSize: options.batchSize, log: options.log)
        let largeBatchInference = try evaluate(network, dataset: dataset, batchSize: largeInferenceBatch, log: options.log).rate
        return Result(
            system: "Funnel", trainSamplesPerSecond: Double(trained) / seconds, inferenceSamplesPerSecond: inference,
            largeBatchInferenceSamplesPerSecond: largeBatchInference,
            peakResidentMebibytes: peakResidentMebibytes(), ctrAUC: ctrAUC, ctcvrAUC: ctcvrAUC,
            trainingRows: trained, testRows: try dataset.split("test").rowCount, threads: options.threads)
    }

    /// The network of `torch_esmm.py`: one shared table for f0…f19 (dimension 16, N(0, 0.05)),
    /// d0…d39 concatenated, towers 360 → 256 → 128 → 64 → 1.
    static var referenceConfiguration: ESMM.Configuration {
        var configuration = ESMM.Configuration()
        configuration.network.features = FeatureSelection(categorical: fields, dense: denseColumns, label: "click")
        configuration.network.embeddingDimensions = 16
        configuration.network.towerHidden = [256, 128, 64]
        return configuration
    }

    /// Held-out AUCs and inference samples/s (median of 5 passes at the training batch size).
    private static func evaluate(
        _ network: ESMM, dataset: Dataset, batchSize: Int, log: (String) -> Void
    ) throws -> (ctrAUC: Double, ctcvrAUC: Double, rate: Double) {
        network.train(false)
        defer { network.train() }
        // Inference as a served model runs it: the first layers folded with the small fields.
        let clock = ContinuousClock()
        var bytes = 0
        let folding = clock.measure { bytes = network.network.foldForInference() }
        log("Funnel inference at batches of \(batchSize): first layers folded with the small fields, \(bytes >> 10) KiB in \(folding)")
        let batcher = try Batcher(
            dataset: dataset, split: "test", batchSize: batchSize, shuffle: false, columns: network.requirements.columns)
        // Batches are gathered before timing, as the reference holds its tensors in memory.
        let batches = batcher.batches(epoch: 0).map { batcher.batch($0) }
        var ctr: [Double] = []
        var ctcvr: [Double] = []
        let rate = try TimedEpoch.inferenceRate(batches) { batch, keep in
            let logits = try network(batch)
            let click = logits["ctr"]!.sigmoid()
            let conversion = click * logits["cvr"]!.sigmoid()
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

    /// VmHWM of this process, in MiB.
    static func peakResidentMebibytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kibibytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }.first ?? 0
            return kibibytes / 1024
        }
        return 0
    }
}
