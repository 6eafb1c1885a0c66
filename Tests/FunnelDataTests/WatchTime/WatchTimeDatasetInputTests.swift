import Foundation
import FunnelSimulation
import Testing

@testable import FunnelData

/// A Funnel dataset as input (watchtime.md §0.1): the simulated watch-time world, re-split by
/// day, its truth columns carried through unchanged.
@Suite struct WatchTimeDatasetInputTests {
    @Test func resplitsASimulatedWorldByDayAndCarriesTruth() throws {
        let scratch = try ScratchFolder()
        let world = try ScenarioKind.watchtime.simulatedDataset(users: 60, days: 6, seed: 3, directory: scratch.path + "/world")
        #expect(Set(world.splits.keys) == ["train", "test"])
        let log = try WatchTimeLog.read(dataset: world)
        #expect(log.features.map(\.name) == ["user_segment", "user_activity", "video_tag"])
        #expect(log.truths.map(\.schema.name) == ["interest", "counterfactual_watch_time", "noisy_view"])
        var options = WatchTimePreparation.Options(
            unitIsMilliseconds: false,
            splits: .byDate([
                .init(name: "train", range: 0...2), .init(name: "validation", range: 3...3), .init(name: "test", range: 4...5),
            ]))
        options.durationRange = 0...100_000
        let preparation = try WatchTimePreparation(log: log, options: options)
        let dataset = try preparation.write(to: scratch.path + "/prepared", name: "prepared")
        #expect(Set(dataset.splits.keys) == ["train", "validation", "test"])
        let total = world.splits.values.reduce(0) { $0 + $1.rowCount }
        #expect(preparation.report.rowsKept == total)
        for (split, days) in [("train", 0...2), ("validation", 3...3), ("test", 4...5)] {
            let table = try dataset.split(split)
            #expect(table.rowCount > 0)
            let written = try #require(table.column("day")?.values.integers).array
            #expect(written.allSatisfy { days.contains(Int($0)) })
        }
        for truth in ["interest", "counterfactual_watch_time", "noisy_view"] {
            let source = try ["train", "test"].flatMap { try world.rowValues(split: $0, column: truth) }
            let carried = try ["train", "validation", "test"].flatMap { try dataset.rowValues(split: $0, column: truth) }
            #expect(source.sorted() == carried.sorted(), "\(truth)")
            #expect(dataset.schema.column(named: truth)?.role == .truth)
        }
        // watch_time rounded to integer seconds, never above the duration.
        let watched = try ["train", "validation", "test"].flatMap { try dataset.rowValues(split: $0, column: "watch_time") }
        let durations = try ["train", "validation", "test"].flatMap { try dataset.rowValues(split: $0, column: "duration") }
        #expect(zip(watched, durations).allSatisfy { $0 == $0.rounded() && $0 <= $1 })
    }

    @Test func keepsTheDatasetsOwnSplitsByDefault() throws {
        let scratch = try ScratchFolder()
        let world = try ScenarioKind.watchtime.simulatedDataset(users: 40, days: 5, seed: 5, directory: scratch.path + "/world")
        let log = try WatchTimeLog.read(dataset: world, features: ["video_tag"])
        #expect(log.features.map(\.name) == ["video_tag"])
        let preparation = try WatchTimePreparation(log: log, options: .init(unitIsMilliseconds: false, splits: .kept))
        #expect(preparation.splits.map(\.name) == ["train", "test"])
        let dataset = try preparation.write(to: scratch.path + "/prepared")
        #expect(dataset.schema.column(named: "day")?.role == .day)
        #expect(dataset.schema.column(named: "user_segment") == nil)
    }

    @Test func emptyDaySplitIsNamed() throws {
        let scratch = try ScratchFolder()
        let world = try ScenarioKind.watchtime.simulatedDataset(users: 20, days: 4, seed: 7, directory: scratch.path + "/world")
        let log = try WatchTimeLog.read(dataset: world)
        let options = WatchTimePreparation.Options(
            unitIsMilliseconds: false,
            splits: .byDate([
                .init(name: "train", range: 0...2), .init(name: "validation", range: 50...60), .init(name: "test", range: 3...3),
            ]))
        #expect(throws: WatchTimePreparation.Refusal.emptySplit("validation", range: "days 50-60")) {
            try WatchTimePreparation(log: log, options: options)
        }
    }
}
