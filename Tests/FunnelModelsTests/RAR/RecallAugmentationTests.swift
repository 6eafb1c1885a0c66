import Foundation
import FunnelData
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelModels

/// RAR plugged into mlp, base and din on the homepage world (adaptation.md §1.3, §1.5, §1.6).
@Suite struct RecallAugmentationTests {
    static let dataset = USDModelTests.dataset
    static let rar = #"{"poolSize": 60, "recallCount": 30, "lookAlikeCount": 8, "recallKept": 8}"#

    /// The three hosts, each as JSON without and with `rar` (a quick configuration).
    static let hosts: [(kind: ModelKind, configuration: String)] = [
        (.mlp, #""features": {"categorical": ["user", "item", "position", "user.user_segment", "item.item_category"]}"#),
        (.base, #""longLength": 20, "shortLength": 5, "retrieved": 8"#),
        (.din, #""sequenceLength": 10"#),
    ]

    static func model(_ kind: ModelKind, _ configuration: String, rar: String? = nil, seed: UInt64 = 5) throws -> any FunnelModel {
        let json = "{" + configuration + (rar.map { #", "rar": "# + $0 } ?? "") + "}"
        return try kind.make(dataset: dataset, configuration: Data(json.utf8), seed: seed)
    }

    static func batch(for model: some FunnelModel, size: Int = 128) throws -> Batch {
        let requirements = model.requirements
        let batcher = try Batcher(
            dataset: dataset, split: "train", batchSize: size, shuffle: true, columns: requirements.columns,
            sequences: requirements.sequences)
        var random = RandomGenerator(seed: 4)
        return batcher.batch(batcher.batches(epoch: 0)[0], random: &random)
    }

    static func augmentation(of model: any FunnelModel) -> RecallAugmentation? {
        switch model {
        case let model as MLPCTRModel: model.augmentation
        case let model as ETAModel: model.augmentation
        case let model as DINModel: model.augmentation
        default: nil
        }
    }

    @Test(arguments: [0, 1, 2])
    func zeroAugmentationWithoutItsLossIsTheBaseModel(host: Int) throws {
        let (kind, configuration) = Self.hosts[host]
        let base = try Self.model(kind, configuration)
        let augmented = try Self.model(kind, configuration, rar: #"{"recallLossWeight": 0, "poolSize": 60, "recallCount": 30}"#)
        let augmentation = try #require(Self.augmentation(of: augmented))
        #expect(Self.augmentation(of: base) == nil)
        augmentation.forcesZeroAugmentation = true
        let batch = try Self.batch(for: augmented)
        // The host's own weights are drawn exactly as without RAR.
        let baseParameters = Dictionary(uniqueKeysWithValues: base.namedParameters().map { ($0.name, $0.parameter) })
        for (name, parameter) in augmented.namedParameters() where !name.hasPrefix("augmentation.") {
            let reference = try #require(baseParameters[name], "\(kind.rawValue): \(name)")
            if reference.shape == parameter.shape { #expect(reference.scalars == parameter.scalars, "\(kind.rawValue): \(name)") }
        }
        base.train(false)
        augmented.train(false)
        let label = base.evaluationTasks[0].outputs[0]
        let expected = try withoutGradients { try base(batch)[label]! }.scalars
        expectClose(try withoutGradients { try augmented(batch)[label]! }.scalars, expected, tolerance: 1e-6)
        // And after training both alike (β = 0: the recall term weighs nothing).
        base.train(true)
        augmented.train(true)
        let optimizers = [base, augmented].map { OptimizerGroups(Adam(namedParameters: $0.namedParameters(), learningRate: 0.01)) }
        for _ in 0..<3 {
            for (model, optimizer) in zip([base, augmented], optimizers) {
                _ = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            }
        }
        base.train(false)
        augmented.train(false)
        expectClose(
            try withoutGradients { try augmented(batch)[label]! }.scalars,
            try withoutGradients { try base(batch)[label]! }.scalars, tolerance: 1e-5)
        // Without the forcing, u_aug changes the predictions (the oracle can fail).
        augmentation.forcesZeroAugmentation = false
        let free = try withoutGradients { try augmented(batch)[label]! }.scalars
        #expect(zip(free, expected).contains { Swift.abs($0 - $1) > 1e-5 })
    }

    @Test(arguments: [0, 1, 2])
    func learnsOneBatchWithTheJointObjective(host: Int) throws {
        let (kind, configuration) = Self.hosts[host]
        let model = try Self.model(kind, configuration, rar: Self.rar)
        try model.requirements.check(Self.dataset, model: kind.rawValue)
        #expect(model.requirements.columns.isSuperset(of: ["user", "item", "day"]))
        let batch = try Self.batch(for: model, size: 256)
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 0.02))
        var losses: [Float] = []
        var recallLosses: [Double] = []
        for _ in 0..<40 {
            let objective = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            #expect(objective.tasks.map(\.name) == ["ctr", "recall"] && objective.tasks[1].weight == 0.1)
            losses.append(objective.total.scalar)
            recallLosses.append(objective.loggedValues["recall_loss"]!)
        }
        #expect(losses.last! < losses.first! * 0.7, "\(kind.rawValue): \(losses.first!) → \(losses.last!)")
        #expect(recallLosses.last! < recallLosses.first!, "\(kind.rawValue): L_rec \(recallLosses.first!) → \(recallLosses.last!)")
        // Evaluation computes no L_rec and scores one logit per row.
        model.train(false)
        let outputs = try withoutGradients { try model(batch) }
        #expect(outputs[RecallAugmentation.recallLossOutput] == nil && outputs["click"]?.shape == [256])
    }

    @Test func rowsReadNothingOfTheirDayOrLater() throws {
        let model = try Self.model(.mlp, Self.hosts[0].configuration, rar: Self.rar)
        let augmentation = try #require(Self.augmentation(of: model))
        let batch = try Self.batch(for: model, size: 256)
        let (users, items, days) = (batch.ids["user"]!, batch.ids["item"]!, batch.integers["day"]!)
        #expect(Set(days).count > 1)
        let lists = augmentation.recallLists(users: users, items: items, days: days)
        // The training split's rows of days before D only: the log a row of day D may see.
        let table = try Self.dataset.split("train")
        let (allUsers, allItems) = (table.column("user")!.values.ids!.array, table.column("item")!.values.ids!.array)
        let (allDays, allClicks) = (table.column("day")!.values.integers!.array, table.column("click")!.values.floats!.array)
        let itemCount = Self.dataset.vocabulary(for: "item")!.size
        for day in Set(days) {
            let earlier = allDays.indices.filter { allDays[$0] < day }
            let truncated = ItemCFRecall(
                users: earlier.map { allUsers[$0] }, items: earlier.map { allItems[$0] }, days: earlier.map { allDays[$0] },
                clicks: earlier.map { allClicks[$0] }, userCount: augmentation.log.userCount, itemCount: itemCount)
            let popularity = truncated.popularityOrder(before: day)
            for row in days.indices where days[row] == day {
                let expected = truncated.recall(
                    user: users[row], day: day, excluding: items[row], count: augmentation.recallLength, queryClicks: 20,
                    popularity: popularity)
                #expect(lists[row] == expected, "row \(row), day \(day)")
                #expect(!lists[row].contains(items[row]) && lists[row].count == 30)
                // What the user's and the pool users' representations read (clicks before D).
                for user in [users[row]] + augmentation.pool.users.prefix(5) {
                    #expect(
                        augmentation.log.recentClicks(user: user, before: day, count: 10)
                            == truncated.recentClicks(user: user, before: day, count: 10))
                }
            }
        }
    }

    @Test func rarIsRefusedWithItsPath() throws {
        #expect {
            try Self.model(.mlp, Self.hosts[0].configuration, rar: #"{"lookAlikeCount": 0}"#)
        } throws: { "\($0)".contains("modelConfiguration.rar.lookAlikeCount") }
        #expect {
            try Self.model(.din, Self.hosts[2].configuration, rar: #"{"hashGroups": 3}"#)
        } throws: { "\($0)".contains("modelConfiguration.rar.hashGroups") }
        #expect {
            try Self.model(.base, Self.hosts[1].configuration, rar: #"{"poolSze": 3}"#)
        } throws: { "\($0)".contains("modelConfiguration.rar.poolSze") }
    }
}
