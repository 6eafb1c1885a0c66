import Foundation
import FunnelData
import FunnelTensor

/// How item vectors become semantic IDs (sequential.md §4.1): optional PCA (with whitening),
/// then residual k-means, TIGER's RQ-VAE or product quantisation, each trained only on the items
/// seen in training sequences and applied to every item, then an optional collision digit.
///
/// Output: ``SemanticIDs`` with `digits` codes of up to `codebookSize` entries per item (plus
/// the collision digit), and a ``Report``.
public struct SemanticIDTokeniser: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        /// Residual k-means: hierarchical codes, coarse → fine.
        case residualKMeans = "residual-kmeans"
        /// TIGER's RQ-VAE: hierarchical codes of a learned latent.
        case rqvae
        /// Product quantisation (RPG): unordered codes, one per sub-space; OPQ with
        /// `rotationIterations > 0`.
        case productQuantisation = "product-quantisation"

        /// The name written in the manifest.
        var manifestName: String {
            switch self {
            case .residualKMeans: "residualKMeans"
            case .rqvae: "rqvae"
            case .productQuantisation: "productQuantisation"
            }
        }
    }

    /// The RQ-VAE's sizes and training; `nil` widths take ``ResidualQuantisedAutoencoder/defaultWidths(inputDimensions:)``.
    public struct AutoencoderSettings: Sendable {
        public var hidden: [Int]?
        public var latent: Int?
        public var commitment: Float = 0.25
        public var epochs = 50
        public var batchSize = 256
        public var learningRate: Float = 1e-3
        public init() {}
    }

    public var method: Method
    /// L levels (residual methods) or M sub-spaces (product quantisation).
    public var digits: Int
    /// K: the most entries of each codebook (fewer when there are fewer distinct training points).
    public var codebookSize = 256
    /// D: PCA to this many dimensions first, or `nil` for none.
    public var pcaDimensions: Int?
    /// Whether PCA whitens (unit variance per component on the training items).
    public var whiten = false
    /// The most Lloyd iterations of every k-means.
    public var iterations = 25
    /// Lloyd stops once the error falls by less than this fraction.
    public var tolerance: Float = 1e-4
    public var seed: UInt64 = 0
    /// Product quantisation: OPQ's alternating rotation updates (0 = plain PQ).
    public var rotationIterations = 0
    /// Whether to append the collision digit; `nil` = on for the residual methods, off for PQ.
    public var collisionDigit: Bool?
    public var autoencoder = AutoencoderSettings()

    public init(method: Method, digits: Int) {
        self.method = method
        self.digits = digits
    }

    /// Why a configuration or input cannot be tokenised.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// What tokenising did.
    public struct Report: Sendable {
        public var method: Method
        public var itemCount = 0
        public var trainedItems = 0
        public var inputDimensions = 0
        public var quantisedDimensions = 0
        /// Mean squared error per value on the training items after each level (residual
        /// methods; RQ-VAE in its latent space) or in each sub-space (PQ).
        public var levelErrors: [Float] = []
        /// Mean squared error per value over all items in the quantised space (RQ-VAE: of the
        /// decoded input).
        public var overallError: Float = 0
        /// Items sharing their tuple with an earlier item before any collision digit.
        public var collisionsBefore = 0
        /// Distinct input vectors among all items: items with equal vectors always share a
        /// tuple, so `itemCount − distinctVectors` is a floor on ``collisionsBefore``.
        public var distinctVectors = 0
        /// The collision digit's size, or `nil` without one.
        public var collisionDigitSize: Int?
        /// RQ-VAE: each epoch's mean loss and mean reconstruction term.
        public var epochLosses: [Float] = []
        public var epochReconstructions: [Float] = []
        /// Filled by the caller for side-table vectors.
        public var itemsWithoutFeatures: Int?
        public var seconds = 0.0

        public var text: String {
            func format(_ value: Float) -> String { String(format: "%.6g", Double(value)) }
            var lines = [
                "method \(method.rawValue): \(itemCount) items, trained on \(trainedItems) (seen in training sequences)",
                "dimensions: \(inputDimensions) in, \(quantisedDimensions) quantised",
            ]
            let label = method == .productQuantisation ? "sub-space" : "level"
            for (index, error) in levelErrors.enumerated() {
                lines.append("  \(label) \(index + 1): training reconstruction MSE \(format(error))")
            }
            lines.append("overall reconstruction MSE (all items\(method == .rqvae ? ", decoded" : "")): \(format(overallError))")
            if let first = epochLosses.first, let last = epochLosses.last {
                lines.append("RQ-VAE loss: epoch 1 \(format(first)) → epoch \(epochLosses.count) \(format(last))")
                if let first = epochReconstructions.first, let last = epochReconstructions.last {
                    lines.append("RQ-VAE reconstruction term: epoch 1 \(format(first)) → epoch \(epochReconstructions.count) \(format(last))")
                }
            }
            lines.append("collisions before the collision digit: \(collisionsBefore) (distinct input vectors \(distinctVectors), so at least \(itemCount - distinctVectors) are unavoidable)")
            lines.append(collisionDigitSize.map { "collision digit: size \($0)" } ?? "no collision digit")
            if let itemsWithoutFeatures { lines.append("items without features (zero vectors): \(itemsWithoutFeatures)") }
            lines.append(String(format: "time: %.2f s", seconds))
            return lines.joined(separator: "\n")
        }
    }

    /// Codes every item of `vectors`, training on the items flagged in `trainingItems`
    /// (`[N + 1]`, index 0 ignored; see ``FunnelData/Dataset/trainingItemFlags(itemCount:items:target:)``).
    public func tokenise(_ vectors: ItemVectors, trainingItems: [Bool]) throws -> (ids: SemanticIDs, report: Report) {
        let start = Date()
        guard digits >= 1, codebookSize >= 1, codebookSize <= 65_536 else {
            throw Refusal(description: "digits must be ≥ 1 and the codebook size in 1 … 65536")
        }
        guard trainingItems.count == vectors.itemCount + 1 else {
            throw Refusal(description: "\(trainingItems.count - 1) training flags for \(vectors.itemCount) items")
        }
        let trained = (1...max(vectors.itemCount, 1)).filter { $0 <= vectors.itemCount && trainingItems[$0] }
        guard trained.count >= 2 else {
            throw Refusal(description: "only \(trained.count) items appear in training sequences; at least 2 are needed")
        }
        var report = Report(method: method)
        report.itemCount = vectors.itemCount
        report.trainedItems = trained.count
        report.inputDimensions = vectors.dimensions
        report.distinctVectors = Set((1...max(vectors.itemCount, 1)).filter { $0 <= vectors.itemCount }.map { vectors.vector(item: $0).map(\.bitPattern) }).count
        var generator = RandomGenerator(seed: seed)
        var points = vectors.values
        var dimensions = vectors.dimensions
        if let pcaDimensions {
            guard pcaDimensions >= 1 else { throw Refusal(description: "--pca must be ≥ 1") }
            let pca = PrincipalComponents(
                points: Self.rows(trained, of: points, dimensions: dimensions), rows: trained.count,
                inputDimensions: dimensions, dimensions: pcaDimensions, whiten: whiten)
            points = pca.project(points, rows: vectors.itemCount)
            dimensions = pca.outputDimensions
        }
        report.quantisedDimensions = dimensions
        let training = Self.rows(trained, of: points, dimensions: dimensions)
        let codes: [[Int32]]
        var sizes: [Int]
        switch method {
        case .residualKMeans:
            let quantiser = ResidualQuantiser(
                points: training, rows: trained.count, dimensions: dimensions, levels: digits, codebookSize: codebookSize,
                iterations: iterations, tolerance: tolerance, generator: &generator)
            report.levelErrors = quantiser.encode(training, rows: trained.count).errors
            let all = quantiser.encode(points, rows: vectors.itemCount)
            (codes, report.overallError) = (all.codes, all.errors.last ?? 0)
            sizes = quantiser.levels.map(\.count)
        case .productQuantisation:
            guard digits <= dimensions else {
                throw Refusal(description: "product quantisation into \(digits) sub-spaces needs at least \(digits) dimensions; the vectors have \(dimensions)")
            }
            let optimised = OptimisedProductQuantiser(
                points: training, rows: trained.count, dimensions: dimensions, subspaces: digits, codebookSize: codebookSize,
                iterations: iterations, rotationIterations: rotationIterations, tolerance: tolerance, generator: &generator)
            let quantiser = optimised.quantiser
            report.levelErrors = quantiser.encode(optimised.rotate(training, rows: trained.count), rows: trained.count).errors
            let all = quantiser.encode(optimised.rotate(points, rows: vectors.itemCount), rows: vectors.itemCount)
            (codes, report.overallError) = (all.codes, all.overall)
            sizes = quantiser.codebooks.map(\.count)
        case .rqvae:
            let widths = ResidualQuantisedAutoencoder.defaultWidths(inputDimensions: dimensions)
            let model = ResidualQuantisedAutoencoder(
                inputDimensions: dimensions, hidden: autoencoder.hidden ?? widths.hidden, latent: autoencoder.latent ?? widths.latent,
                levels: digits, codebookSize: codebookSize, commitment: autoencoder.commitment, generator: &generator)
            (report.epochLosses, report.epochReconstructions) = model.fit(
                points: training, rows: trained.count, dimensions: dimensions, epochs: autoencoder.epochs,
                batchSize: autoencoder.batchSize, learningRate: autoencoder.learningRate, generator: &generator)
            report.levelErrors = model.encode(training, rows: trained.count, dimensions: dimensions).levelErrors
            let all = model.encode(points, rows: vectors.itemCount, dimensions: dimensions)
            (codes, report.overallError) = (all.codes, all.reconstruction)
            sizes = Array(repeating: codebookSize, count: digits)
        }
        var final = codes
        report.collisionsBefore = CollisionDigit.collisions(in: codes)
        if collisionDigit ?? (method != .productQuantisation) {
            let appended = CollisionDigit.append(to: codes)
            final = appended.codes
            sizes.append(appended.size)
            report.collisionDigitSize = appended.size
        }
        var flat = [Int32](repeating: 0, count: sizes.count)
        flat.reserveCapacity((vectors.itemCount + 1) * sizes.count)
        for tuple in final { flat += tuple }
        let ids = SemanticIDs(
            method: method.manifestName, digitSizes: sizes, ordered: method != .productQuantisation,
            trainedItems: trained.count, source: vectors.source, codes: flat)
        report.seconds = Date().timeIntervalSince(start)
        return (ids, report)
    }

    /// The vectors of `items` (1-based ids), `[items.count, d]`.
    static func rows(_ items: [Int], of points: [Float], dimensions: Int) -> [Float] {
        var rows: [Float] = []
        rows.reserveCapacity(items.count * dimensions)
        for item in items { rows += points[((item - 1) * dimensions)..<(item * dimensions)] }
        return rows
    }
}
