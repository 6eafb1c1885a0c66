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
        // Two rows of length 4, right-padded with id 9: [5, 6, 7, _] and [8, _, _, _].
        let sequence = PaddedSequence(
            length: 4, ids: [5, 6, 7, 9, 8, 9, 9, 9], mask: [1, 1, 1, 0, 1, 0, 0, 0], paddingID: 9)
        let (ids, mask) = ETAModel.mostRecent(sequence, count: 2)
        #expect(ids == [6, 7, 8, 9] && mask == [1, 1, 1, 0])
    }

    @Test func readsTheBehavioursAndLearnsOneBatch() throws {
        var configuration = ETAModel.Configuration()
        configuration.longLength = 20
        configuration.shortLength = 5
        configuration.retrieved = 8
        let model = try ETAModel(dataset: USDModelTests.dataset, configuration: configuration, seed: 2)
        #expect(model.requirements.columns.isSuperset(of: ["item", "user-day.clicked_items", "click"]))
        #expect(!model.features.categorical.contains("item") && !model.features.categorical.contains("item.item_category"))
        let batch = try USDModelTests.batch(for: model)
        #expect(batch.sequences["user-day.clicked_items"]?.length == 20)
        let optimizer = AdagradDecayV2(parameters: model.parameters(), learningRate: 0.05)
        var losses: [Float] = []
        for _ in 0..<40 {
            let loss = try model.objective(try model(batch), batch: batch).total
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
        // The padding item (the vocabulary's size) has a row of its own and the padding category.
        let itemCount = try #require(USDModelTests.dataset.vocabulary(for: "item")?.size)
        #expect(model.items.count == itemCount + 1 && model.paddingID == Int32(itemCount))
        #expect(model.categoryOfItem.count == itemCount + 1)
        #expect(model.categoryOfItem.last == Int32(model.categories.count - 1))
    }

    @Test func emptyHistoryNeverReadsItemZero() throws {
        var configuration = ETAModel.Configuration()
        configuration.longLength = 20
        configuration.shortLength = 5
        configuration.retrieved = 8
        let model = try ETAModel(dataset: USDModelTests.dataset, configuration: configuration, seed: 4)
        var batch = try USDModelTests.batch(for: model)
        let rows = batch.size
        // Target items other than 0, and no behaviour at all.
        batch.ids["item"] = batch.ids["item"]!.map { $0 == 0 ? 1 : $0 }
        let empty = try #require(batch.sequences["user-day.clicked_items"])
        #expect(empty.paddingID == model.paddingID)
        batch.sequences["user-day.clicked_items"] = PaddedSequence(
            length: empty.length, ids: Array(repeating: empty.paddingID, count: rows * empty.length),
            mask: Array(repeating: 0, count: rows * empty.length), paddingID: empty.paddingID)
        let before = try model.logits(batch).scalars
        let dimensions = model.items.dimensions
        model.items.table.withUnsafeMutableBufferPointer { table in
            for column in 0..<dimensions { table[column] = 100 + Float(column) }
        }
        #expect(try model.logits(batch).scalars == before)
        // A batch padded with another id is refused, not read.
        var misPadded = batch
        misPadded.sequences["user-day.clicked_items"]?.paddingID = 0
        #expect(throws: DataError.self) { try model.logits(misPadded) }
    }

    @Test func capeStartsAsBASEAndLearnsItsTable() throws {
        var configuration = ETAModel.Configuration()
        configuration.longLength = 20
        configuration.shortLength = 5
        configuration.retrieved = 8
        let plain = try ETAModel(dataset: USDModelTests.dataset, configuration: configuration, seed: 3)
        configuration.cape = CAPEConfiguration()
        let model = try ETAModel(dataset: USDModelTests.dataset, configuration: configuration, seed: 3)
        // C = 2·16 item dimensions, C' = 32, P_max = shortLength.
        #expect(model.parameterCount == plain.parameterCount + 32 * 32 + 32 + 32 * 5)
        let batch = try USDModelTests.batch(for: plain)
        // The table starts at zero: BASE's logits bit for bit (sequential.md §3.5).
        #expect(try model.logits(batch).scalars == (try plain.logits(batch).scalars))
        let table = try #require(model.shortDIN?.positionEncoding?.table)
        try model.objective(try model(batch), batch: batch).total.backward()
        #expect(table.gradient?.scalars.contains { $0 != 0 } == true)
    }

    @Test func capeConfigurationDecodesWithDefaults() throws {
        let decoded = try StrictJSON.decode(
            ETAModel.Configuration.self, from: Data(#"{"cape": {"legacyMaskedGate": true}}"#.utf8), defaults: .init())
        #expect(decoded.cape == CAPEConfiguration(positionDimensions: 32, legacyMaskedGate: true))
        #expect(try StrictJSON.decode(ETAModel.Configuration.self, from: Data("{}".utf8), defaults: .init()).cape == nil)
        var configuration = ETAModel.Configuration()
        configuration.cape = CAPEConfiguration(positionDimensions: 0)
        #expect(throws: StrictJSON.Error.self) { try configuration.validate() }
        configuration.cape = CAPEConfiguration()
        configuration.dinForShortSequence = false
        #expect(throws: StrictJSON.Error.self) { try configuration.validate() }
    }
}
