import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

/// MF-DR-JL (Wang et al., ICML 2019): the oracle of entire-space.md §3.2 through the model —
/// with a perfect imputation the DR loss is the mean error over every cell of the step and the
/// imputation loss is 0 — and learning on a planted matrix.
@Suite struct DoublyRobustJointLearningTests {
    static func configuration(weighting: ObservationWeighting) -> DoublyRobustJointLearning.Configuration {
        var configuration = DoublyRobustJointLearning.Configuration()
        configuration.dimensions = 4
        configuration.imputationDimensions = 2
        configuration.l2 = 0
        configuration.weighting = weighting
        configuration.missingAtRandomFraction = 0
        configuration.sampledCells = 3
        return configuration
    }

    /// Sets the imputation MF to the planted matrix `3 + u · v`.
    static func plant(_ network: MatrixFactorisationNetwork, users: [[Float]], items: [[Float]]) {
        network.globalBias.withUnsafeMutableBufferPointer { $0[0] = 3 }
        network.userFactors.table.withUnsafeMutableBufferPointer { values in
            for (row, vector) in users.enumerated() { for column in 0..<2 { values[row * 2 + column] = vector[column] } }
        }
        network.itemFactors.table.withUnsafeMutableBufferPointer { values in
            for (row, vector) in items.enumerated() { for column in 0..<2 { values[row * 2 + column] = vector[column] } }
        }
    }

    @Test(arguments: [ObservationWeighting.none, .ips])
    func perfectImputationGivesTheMeanError(weighting: ObservationWeighting) throws {
        // A third of the cells observed, with propensities 0.2 (not the observed rate): DR
        // ignores them when the imputation is exact.
        let planted = try RatingMatrixFixture.planted(propensity: 0.2) { user, item in (user + 2 * item) % 3 == 0 }
        let model = try DoublyRobustJointLearning(dataset: planted.fixture.dataset, configuration: Self.configuration(weighting: weighting), seed: 2)
        Self.plant(model.imputation, users: planted.users, items: planted.items)
        let batch = try MatrixFactorisationTests.fullBatch(model, planted.fixture.dataset)
        let outputs = try model(batch)
        let objective = try model.objective(outputs, batch: batch)
        // The step's cells: the observed rows, then each row's 3 drawn items.
        let users = try #require(batch.ids["user"])
        let cellUsers = users + users.flatMap { Array(repeating: $0, count: 3) }
        let cellItems = try #require(batch.ids["item"]) + (try #require(batch.negatives["item"]))
        let predicted = try #require(outputs["cells"]).scalars
        #expect(predicted.count == 4 * batch.size)
        var total = 0.0
        for cell in predicted.indices {
            let truth = planted.ratings[Int(cellUsers[cell])][Int(cellItems[cell])]
            total += Double((predicted[cell] - truth) * (predicted[cell] - truth))
        }
        let meanError = total / Double(predicted.count)
        let risk = try #require(objective.loggedValues["prediction_loss"])
        #expect(abs(risk - meanError) < 1e-4 * meanError, "\(risk) vs \(meanError)")
        #expect(try #require(objective.loggedValues["imputation_loss"]) < 1e-8)
    }

    /// Both imputation losses recover unobserved cells of a planted matrix. With the paper's
    /// error-matching `L_imp` and the squared error the imputation's gradient is ∝ r̂ − ỹ, small
    /// while it follows the prediction, and the unobserved error plateaus (0.54 → 0.13 here);
    /// fitted to the labels (`imputationLoss: label`) it falls to ~2e-5.
    @Test(arguments: [(DoublyRobustJointLearning.ImputationLoss.error, 0.5), (.label, 0.01)])
    func learnsAPlantedMatrixFromHalfItsCells(imputationLoss: DoublyRobustJointLearning.ImputationLoss, factor: Double) throws {
        // About 600 of 1,200 cells: enough to pin down rank 2 with biases (210 parameters). A
        // seeded mask: a checkerboard would leave a rank-1 sign pattern unidentified.
        var random = RandomGenerator(seed: 9)
        let mask = (0..<1200).map { _ in random.nextUnitFloat() < 0.5 }
        let planted = try RatingMatrixFixture.planted(users: 40, items: 30, propensity: 0.5) { user, item in mask[user * 30 + item] }
        var configuration = Self.configuration(weighting: .ips)
        configuration.imputationLoss = imputationLoss
        configuration.dimensions = 2
        configuration.l2 = 1e-3
        let model = try DoublyRobustJointLearning(dataset: planted.fixture.dataset, configuration: configuration, seed: 4)
        let requirements = model.requirements
        let batcher = try Batcher(
            dataset: planted.fixture.dataset, split: "train", batchSize: 1000, shuffle: false, columns: requirements.columns,
            negativeSampling: requirements.negativeSampling)
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 0.03))
        func unseenError() throws -> Double {
            model.train(false)
            defer { model.train(true) }
            var total = 0.0
            var count = 0
            for user in 0..<40 {
                let items = (0..<30).filter { !mask[user * 30 + $0] }
                var batch = Batch(rows: items.map { _ in 0 })
                batch.ids = ["user": items.map { _ in Int32(user) }, "item": items.map(Int32.init)]
                let values = try #require(try model(batch)["rating"]).scalars
                for (value, item) in zip(values, items) {
                    total += Double((value - planted.ratings[user][item]) * (value - planted.ratings[user][item]))
                    count += 1
                }
            }
            return total / Double(count)
        }
        let before = try unseenError()
        for step in 0..<300 {
            var stepRandom = RandomGenerator(seed: 4, epoch: 0, step: step)
            let batch = batcher.batch(batcher.batches(epoch: 0)[0], random: &stepRandom)
            _ = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
        }
        let after = try unseenError()
        #expect(after < factor * before, "unobserved cells: \(before) → \(after)")
    }
}
