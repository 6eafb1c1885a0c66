import Foundation
import FunnelData
@testable import FunnelBenchmarks
@testable import FunnelModels
import Testing

/// `funnel bench base`'s dump for `Benchmarks/torch_base.py` holds exactly the rows, ids and
/// padded sequences Funnel's batcher gives BASE, in the same order (no timing, no PyTorch).
@Suite struct BASEReferenceDumpTests {
    @Test func dumpRoundTripsTheBatchesFunnelTrainsOn() throws {
        let dataset = try BASEBenchmark.dataset(users: 300, days: 4, seed: 3)
        let network = try ETAModel(dataset: dataset, configuration: BASEBenchmark.configuration, seed: 0)
        let directory = NSTemporaryDirectory() + "funnel-base-dump-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try BASEReferenceDump.write(network: network, dataset: dataset, batchSize: 64, learningRate: 0.01, to: directory)
        let dump = try BASEReferenceDump.read(from: directory)

        let padding = Int32(network.items.count - 1)
        #expect(dump.header.paddingID == padding)
        #expect(dump.header.itemVocabulary == network.items.count - 1)
        #expect(dump.header.categoryVocabulary == network.categories.count - 1)
        #expect(dump.header.longLength == 50 && dump.header.shortLength == 10 && dump.header.retrieved == 20)
        #expect(dump.header.fields == network.features.categorical)
        #expect(dump.header.dense == network.features.dense)
        #expect(dump.categoryOfItem == network.categoryOfItem)
        // Funnel's initial weights and SimHash projection, for torch_base.py --funnel-init.
        let tensors = network.namedTensors()
        #expect(Set(dump.header.initialTensors.keys) == Set(tensors.map(\.name)))
        #expect(tensors.contains { $0.name == "retrieval.projection" })
        for (name, tensor) in tensors { #expect(dump.header.initialTensors[name] == tensor.shape) }
        #expect(dump.header.initialTestLogits == 64)

        let fields = network.features.categorical
        for split in ["train", "test"] {
            let batcher = try BASEBenchmark.batcher(network, dataset: dataset, split: split, batchSize: 64)
            let batches = batcher.batches(epoch: 0).map { batcher.batch($0) }
            let rows = try #require(dump.splits[split])
            #expect(dump.header.rows[split] == (try dataset.split(split).rowCount))
            // The split's order: both sides train on row 0, 1, 2, …
            #expect(batches.flatMap(\.rows) == Array(0..<Int32(try dataset.split(split).rowCount)))
            #expect(rows.items == batches.flatMap { $0.ids[network.configuration.item]! })
            #expect(rows.labels == batches.flatMap { $0.floats["click"]! })
            #expect(rows.features == (try batches.flatMap { try $0.idMatrix(fields) }))
            #expect(rows.dense.count == rows.items.count * network.features.dense.count)
            let sequences = batches.map { $0.sequences[network.configuration.behaviours]! }
            #expect(rows.sequences == sequences.flatMap(\.ids))
            // torch_base.py reads validity as "id ≠ padding": the batcher's mask, exactly.
            #expect(rows.sequences.map { $0 != padding } == sequences.flatMap(\.mask).map { $0 > 0 })
            #expect(rows.sequences.contains(padding) && rows.sequences.contains { $0 != padding })
        }
    }
}
