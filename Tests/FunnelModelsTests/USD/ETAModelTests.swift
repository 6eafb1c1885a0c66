import Foundation
import FunnelData
import FunnelNN

import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelModels

/// BASE on the simulated homepage: its inputs, its short sequence, and that it learns.
@Suite struct ETAModelTests {
    @Test func shortSequenceIsTheMostRecentValidPart() {
        // Two rows of length 4, right-padded: [5, 6, 7, _] and [8, _, _, _].
        let sequence = PaddedSequence(length: 4, ids: [5, 6, 7, 0, 8, 0, 0, 0], mask: [1, 1, 1, 0, 1, 0, 0, 0])
        let (ids, mask) = ETAModel.mostRecent(sequence, count: 2)
        #expect(ids == [6, 7, 8, 0] && mask == [1, 1, 1, 0])
    }

    @Test func readsTheBehavioursAndLearnsOneBatch() throws {
        var configuration = ETAModel.Configuration()
        configuration.longLength = 20
        configuration.shortLength = 5
        configuration.retrieved = 8
        let model = try ETAModel(dataset: USDModelTests.dataset, configuration: configuration, seed: 2)
        #expect(model.columns.isSuperset(of: ["item", "user-day.clicked_items", "click"]))
        #expect(!model.features.categorical.contains("item") && !model.features.categorical.contains("item.item_category"))
        let batch = try USDModelTests.batch(for: model)
        #expect(batch.sequences["user-day.clicked_items"]?.length == 20)
        let optimizer = AdagradDecayV2(parameters: model.parameters(), learningRate: 0.05)
        var losses: [Float] = []
        for _ in 0..<40 {
            let (loss, _) = try model.loss(try model(batch), batch: batch)
            losses.append(loss.scalar)
            loss.backward()
            optimizer.step()
        }
        #expect(losses.last! < losses.first! * 0.8, "\(losses.first!) → \(losses.last!)")
    }

    @Test func categoryLookupFollowsTheItemTable() throws {
        let model = try ETAModel(dataset: USDModelTests.dataset, configuration: .init(), seed: 2)
        let items = try #require(USDModelTests.dataset.sideTables["item"])
        let keys = try #require(items.column("item")?.values.ids)
        let categories = try #require(items.column("item_category")?.values.ids)
        for row in 0..<items.rowCount { #expect(model.categoryOfItem[Int(keys[row])] == categories[row]) }
    }
}
