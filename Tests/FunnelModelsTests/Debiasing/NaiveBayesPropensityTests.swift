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

        // IPS and SNIPS estimates of the mean rating and of the positive rate over all cells,
        // by CounterfactualRisk, against Σ_O y/P / cells and Σ_O y/P / Σ_O 1/P.
        let propensities = Tensor(shape: [loaded.count], scalars: loaded)
        let ones = Tensor(shape: [loaded.count], repeating: 1)
        let ratings = try dataset.rowValues(split: "train", column: "rating")
        let liked = try dataset.rowValues(split: "train", column: "liked")
        let given = raw.propensities
        for (values, truth) in [(ratings, observed.map { raw.train[$0] }), (liked, observed.map { raw.train[$0] >= 4 ? 1.0 : 0 })] {
            let weighted = zip(truth, observed).reduce(0.0) { $0 + $1.0 / given[$1.1] }
            let ips = CounterfactualRisk.inversePropensity(
                losses: Tensor(shape: [values.count], scalars: values), observed: ones, propensities: propensities, normalisation: .all)
            let snips = CounterfactualRisk.inversePropensity(
                losses: Tensor(shape: [values.count], scalars: values), observed: ones, propensities: propensities,
                normalisation: .selfNormalised)
            #expect(abs(Double(ips.scalar) - weighted / 87_000) / (weighted / 87_000) < 1e-4, "IPS \(ips.scalar) vs \(weighted / 87_000)")
            #expect(abs(Double(snips.scalar) - weighted / inverseSum) / (weighted / inverseSum) < 1e-4, "SNIPS \(snips.scalar)")
        }
    }
}
