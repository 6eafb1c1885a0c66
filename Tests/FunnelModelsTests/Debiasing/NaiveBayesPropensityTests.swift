import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// Naive-Bayes propensities (Schnabel et al., ICML 2016, §5) on a hand example, and the Coat
/// oracles of the issue, each against a closed form computed here from the raw ascii files.
@Suite struct NaiveBayesPropensityTests {
    @Test func handExample() throws {
        // P(Y|O): 5 → 2/4, 4 → 1/4, 1 → 1/4; P(O) = 4/40; P(Y): 5 → 1/4, 4 → 1/4, 1 → 2/4.
        let estimate = try NaiveBayesPropensity(observedRatings: [5, 5, 4, 1], missingAtRandomRatings: [5, 4, 1, 1], cells: 40)
        #expect(abs(estimate.observedRate - 0.1) < 1e-15)
        #expect(abs(try #require(estimate.propensity(of: 5)) - 0.2) < 1e-15)
        #expect(abs(try #require(estimate.propensity(of: 4)) - 0.1) < 1e-15)
        #expect(abs(try #require(estimate.propensity(of: 1)) - 0.05) < 1e-15)
        #expect(estimate.propensity(of: 3) == nil)
    }

    @Test func aLevelMissingFromTheRandomSampleIsRefused() {
        #expect {
            try NaiveBayesPropensity(observedRatings: [5, 2], missingAtRandomRatings: [5, 5], cells: 10)
        } throws: { error in
            "\(error)".contains("rating 2.0 occurs 1 times in the observed ratings but never in the 2 missing-at-random ratings")
        }
    }

    /// The raw Coat matrices, read here without Funnel's converter.
    struct RawCoat {
        let train: [Double]
        let test: [Double]
        let propensities: [Double]

        init() throws {
            let folder = SharedData.root + "/coat"
            func matrix(_ name: String) throws -> [Double] {
                try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
                    .split(whereSeparator: { $0 == " " || $0 == "\n" }).map { try #require(Double($0)) }
            }
            train = try matrix("train.ascii")
            test = try matrix("test.ascii")
            propensities = try matrix("propensities.ascii")
        }
    }

    static func convertedCoat() throws -> (Dataset, String) {
        let output = NSTemporaryDirectory() + "funnel-coat-\(UUID().uuidString)"
        try DatasetConverter.convert(.coat, source: SharedData.root + "/coat", output: output)
        return (try Dataset.load(output, cache: .ignore), output)
    }

    @Test(.needsSharedData) func coatOracles() throws {
        let raw = try RawCoat()
        #expect(raw.train.count == 290 * 300 && raw.propensities.count == 290 * 300)
        let (dataset, output) = try Self.convertedCoat()
        defer { try? FileManager.default.removeItem(atPath: output) }

        // Σ 1/P over the training cells with the given propensities.
        let observed = raw.train.indices.filter { raw.train[$0] > 0 }
        #expect(observed.count == 6960)
        let inverseSum = observed.reduce(0.0) { $0 + 1 / raw.propensities[$1] }
        let loaded = try dataset.rowValues(split: "train", column: "propensity")
        let loadedSum = loaded.reduce(0.0) { $0 + 1 / Double($1) }
        #expect(abs(loadedSum - inverseSum) / inverseSum < 1e-6, "\(loadedSum) vs \(inverseSum)")

        // Naive-Bayes propensities from all training and all test ratings, closed form:
        // P(O|y) = (n_train(y)/|train|)·(|train|/cells)/(n_test(y)/|test|) = n_train(y)·|test|/(cells·n_test(y)).
        let testCount = raw.test.filter { $0 > 0 }.count
        let estimate = try NaiveBayesPropensity(
            observedRatings: try dataset.rowValues(split: "train", column: "rating"),
            missingAtRandomRatings: try dataset.rowValues(split: "test", column: "rating"), cells: 290 * 300)
        for level in 1...5 {
            let trainLevel = Double(raw.train.filter { $0 == Double(level) }.count)
            let testLevel = Double(raw.test.filter { $0 == Double(level) }.count)
            let closedForm = trainLevel * Double(testCount) / (87_000 * testLevel)
            let value = try #require(estimate.propensity(of: Float(level)))
            #expect(abs(value - closedForm) < 1e-12, "rating \(level): \(value) vs \(closedForm)")
        }

        // IPS and SNIPS estimates of the mean rating and of the positive rate over all 87,000
        // cells, by CounterfactualRisk on every cell (observed where the training matrix holds a
        // rating), against Σ_O y/P / cells and Σ_O y/P / Σ_O 1/P.
        let cells = raw.train.count
        let observedMask = Tensor(shape: [cells], scalars: raw.train.map { $0 > 0 ? 1 : 0 })
        let propensities = Tensor(shape: [cells], scalars: raw.propensities.map(Float.init))
        for positives in [false, true] {
            let truth = raw.train.map { positives ? ($0 >= 4 ? 1.0 : 0) : $0 }
            let weighted = observed.reduce(0.0) { $0 + truth[$1] / raw.propensities[$1] }
            let losses = Tensor(shape: [cells], scalars: truth.map(Float.init))
            let ips = CounterfactualRisk.inversePropensity(losses: losses, observed: observedMask, propensities: propensities)
            let snips = CounterfactualRisk.inversePropensity(
                losses: losses, observed: observedMask, propensities: propensities, normalisation: .selfNormalised)
            let closedIPS = weighted / 87_000
            let closedSNIPS = weighted / inverseSum
            #expect(abs(Double(ips.scalar) - closedIPS) / closedIPS < 1e-4, "IPS \(ips.scalar) vs \(closedIPS)")
            #expect(abs(Double(snips.scalar) - closedSNIPS) / closedSNIPS < 1e-4, "SNIPS \(snips.scalar) vs \(closedSNIPS)")
        }
        // Σ_O 1/P through the estimator: the IPS mean of a loss of 1 on every cell, times the cells.
        let unit = CounterfactualRisk.inversePropensity(
            losses: Tensor(shape: [cells], repeating: 1), observed: observedMask, propensities: propensities)
        #expect(abs(Double(unit.scalar) * 87_000 - inverseSum) / inverseSum < 1e-4, "\(Double(unit.scalar) * 87_000) vs \(inverseSum)")
        #expect(loaded.count == 6960)
    }
}
