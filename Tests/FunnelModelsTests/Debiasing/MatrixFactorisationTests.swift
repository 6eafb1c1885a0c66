import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

/// MF and MF-IPS: learning a planted low-rank matrix, the IPS oracle of entire-space.md §3.1
/// (a uniform propensity gives the plain mean), the missing-at-random sample, and refusals.
@Suite struct MatrixFactorisationTests {
    static func configuration(_ change: (inout MatrixFactorisation.Configuration) -> Void = { _ in }) -> MatrixFactorisation.Configuration {
        var configuration = MatrixFactorisation.Configuration()
        configuration.dimensions = 4
        configuration.l2 = 0
        configuration.missingAtRandomFraction = 0
        change(&configuration)
        return configuration
    }

    /// The whole training split as one batch, with the model's columns.
    static func fullBatch(_ model: some FunnelModel, _ dataset: Dataset) throws -> Batch {
        let requirements = model.requirements
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: 100_000, shuffle: false, columns: requirements.columns,
            negativeSampling: requirements.negativeSampling)
        var random = RandomGenerator(seed: 1)
        return batcher.batch(batcher.batches(epoch: 0)[0], random: &random)
    }

    @Test func fitsAPlantedLowRankMatrix() throws {
        let planted = try RatingMatrixFixture.planted()
        let model = try MatrixFactorisation(dataset: planted.fixture.dataset, configuration: Self.configuration(), seed: 1)
        let batch = try Self.fullBatch(model, planted.fixture.dataset)
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 0.05))
        var risks: [Double] = []
        for _ in 0..<400 {
            let objective = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            risks.append(try #require(objective.loggedValues["risk_loss"]))
        }
        let ratings = planted.ratings.flatMap { $0 }
        let mean = ratings.reduce(0, +) / Float(ratings.count)
        let variance = Double(ratings.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(ratings.count))
        #expect(risks[0] > 0.5 * variance, "\(risks[0]) vs variance \(variance)")
        #expect(risks.last! < 0.01 * variance, "\(risks.last!) vs variance \(variance)")
        // The evaluation output is the rating itself.
        model.train(false)
        let values = try #require(try model(batch)["rating"]).scalars
        let labels = try batch.tensor("rating").scalars
        let squared = Double(zip(values, labels).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(values.count))
        #expect(abs(squared - risks.last!) < 0.01 * variance)
    }

    @Test(arguments: [false, true])
    func uniformPropensityGivesThePlainMean(selfNormalised: Bool) throws {
        // Half the cells observed with P = |train| / cells = 0.5 everywhere: P/P̄ = 1.
        let planted = try RatingMatrixFixture.planted(propensity: 0.5) { user, item in (user + item) % 2 == 0 }
        let dataset = planted.fixture.dataset
        let naive = try MatrixFactorisation(dataset: dataset, configuration: Self.configuration(), seed: 3)
        let ips = try MatrixFactorisation(
            dataset: dataset, configuration: Self.configuration { $0.weighting = .ips; $0.selfNormalised = selfNormalised }, seed: 3)
        let batch = try Self.fullBatch(ips, dataset)
        let naiveRisk = try naive.objective(naive(batch), batch: batch).loggedValues["risk_loss"]
        let ipsRisk = try ips.objective(ips(batch), batch: batch).loggedValues["risk_loss"]
        let expected = try #require(naiveRisk)
        #expect(abs(try #require(ipsRisk) - expected) < 1e-6 * expected, "\(String(describing: ipsRisk)) vs \(expected)")
    }

    @Test func theMissingAtRandomSampleIsSeededAndLeftOutOfEvaluation() throws {
        let planted = try RatingMatrixFixture.planted()
        let dataset = planted.fixture.dataset
        let build = { (seed: UInt64) in
            try MatrixFactorisation(dataset: dataset, configuration: Self.configuration { $0.missingAtRandomFraction = 0.25 }, seed: seed)
        }
        let first = try #require(try build(1).evaluationTasks[0].excludedRows)
        #expect(first.split == "test" && first.rows.count == 30 && first.rows.allSatisfy { (0..<120).contains($0) })
        #expect(try build(1).evaluationTasks[0].excludedRows == first)
        #expect(try build(2).evaluationTasks[0].excludedRows?.rows != first.rows)
    }

    @Test(arguments: [("0", "0.0"), ("1.5", "1.5"), ("-0.5", "-0.5")])
    func aPropensityOutsideZeroToOneIsRefusedWithFileRowAndValue(value: String, shown: String) throws {
        let fixture = try RatingMatrixFixture(
            users: 3, items: 3, train: [(0, 0, 4, 0.5), (1, 1, 2, 0.5), (2, 2, 5, Float(value)!)], test: [(0, 1, 3, 0.5)])
        #expect {
            try MatrixFactorisation(dataset: fixture.dataset, configuration: Self.configuration { $0.weighting = .ips }, seed: 1)
        } throws: { error in
            "\(error)".hasSuffix("/train.csv:4 (column 'propensity'): found '\(shown) (row 2 of split 'train')', expected a propensity in (0, 1]")
        }
        // Without IPS the column is not read.
        _ = try MatrixFactorisation(dataset: fixture.dataset, configuration: Self.configuration(), seed: 1)
    }

    @Test func configurationRefusalsNameTheField() throws {
        let factory = ModelKind.matrixFactorisation.factory
        let refusals = [
            (#"{"dimensions": 0}"#, "field 'modelConfiguration.dimensions': 0; expected a number of factor dimensions in 1...4096"),
            (#"{"propensityClip": 2}"#, "field 'modelConfiguration.propensityClip': 2.0; expected a probability floor in (0, 1)"),
            (#"{"missingAtRandomFraction": 1.5}"#, "field 'modelConfiguration.missingAtRandomFraction': 1.5; expected a fraction in [0, 1)"),
            (#"{"groupedCutoffs": [5, 0]}"#, "field 'modelConfiguration.groupedCutoffs[1]': 0; expected a cutoff >= 1"),
            (#"{"weighting": "ipw"}"#, "modelConfiguration.weighting"),
        ]
        for (json, message) in refusals {
            #expect(throws: (any Error).self) { try factory.validate(configuration: Data(json.utf8)) }
            do {
                try factory.validate(configuration: Data(json.utf8))
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        let planted = try RatingMatrixFixture.planted()
        #expect {
            try MatrixFactorisation(
                dataset: planted.fixture.dataset, configuration: Self.configuration { $0.weighting = .ipsNaiveBayes }, seed: 1)
        } throws: { error in
            "\(error)".contains("field 'modelConfiguration.missingAtRandomFraction': 0.0 leaves no missing-at-random sample")
        }
    }
}
