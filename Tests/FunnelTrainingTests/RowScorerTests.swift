import Foundation
import FunnelData
import FunnelModels
import FunnelTensor
import Testing

@testable import FunnelTraining

/// ``RowScorer``: ranking rows sent by value gives the catalogue order of the model's own
/// forward pass over the same history, less the history and the excluded items.
@Suite struct RowScorerTests {
    private func sasrec(itemCount: Int, length: Int) throws -> TrainedModel {
        let dataset = try LeaveOneOutSequences.catalogue(itemCount: itemCount)
        var configuration = SASRecConfiguration()
        configuration.dimensions = 8
        configuration.heads = 2
        configuration.maximumLength = length
        configuration.interacted = nil
        let model = try SASRec(dataset: dataset, configuration: configuration, seed: 7)
        return TrainedModel(
            model: model, dataset: dataset, configuration: TrainingConfiguration(data: "catalogue", model: .sasrec),
            checkpoint: "catalogue", step: 0)
    }

    @Test func ranksTheCatalogueAsTheForwardPass() throws {
        let trained = try sasrec(itemCount: 20, length: 6)
        let scorer = try RowScorer(trained)
        #expect(scorer.ranks && scorer.scoreNames.isEmpty)
        #expect(scorer.encoder.required == ["items"])
        let history: [Int32] = [3, 9, 4]
        let ranked = try scorer.rank(history: history.map(String.init), count: 5, excluding: ["7"])
        // The oracle: the forward pass over a hand-padded batch (ids before the items, padding
        // id = the vocabulary's size), its scores at real items, best first.
        var ids = [Int32](repeating: 21, count: 6)
        var mask = [Float](repeating: 0, count: 6)
        for (position, item) in history.enumerated() {
            ids[3 + position] = item
            mask[3 + position] = 1
        }
        var batch = Batch(rows: [0])
        batch.sequences["items"] = PaddedSequence(length: 6, ids: ids, mask: mask, paddingID: 21)
        batch.ids["target"] = [0]
        trained.model.train(false)
        let scores = try withoutGradients { try trained.model(batch)["catalogue"]!.scalars }
        let expected = (1...20).filter { ![3, 9, 4, 7].contains($0) }.sorted { scores[$0] > scores[$1] }.prefix(5)
        #expect(ranked.map(\.item) == expected.map(String.init))
        for item in ranked { #expect(item.score == Double(scores[Int(item.item)!])) }
        #expect(ranked.map(\.score) == ranked.map(\.score).sorted(by: >))
    }

    @Test func refusesItemsOutsideTheCatalogue() throws {
        let scorer = try RowScorer(try sasrec(itemCount: 20, length: 6))
        #expect(throws: RowEncodingError.self) { try scorer.rank(history: ["3"], count: 5, excluding: ["21"]) }
        #expect(throws: RowEncodingError.self) { try scorer.rank(history: ["x"], count: 5) }
        #expect(throws: RowEncodingError.self) { try scorer.score([["items": .list(["1"])]]) }
    }
}
