import Foundation
import FunnelData
import FunnelModels
import FunnelTensor

/// The rows `Benchmarks/torch_base.py` trains and tests on, written from the batches Funnel's
/// ``Batcher`` cuts for ``ETAModel`` (split order, no shuffling), so that the reference sees
/// exactly the ids and padded sequences Funnel sees.
///
/// The folder holds `header.json` (``Header``) and raw little-endian arrays, per split
/// (`train`, `test`) of `n` rows:
/// - `SPLIT_features.bin`: int32 `[n, F]`, the categorical features of ``FeatureInput`` in its
///   field order (each id already reduced to its field's rows, as ``FieldEmbedding`` reads it);
/// - `SPLIT_dense.bin`: float32 `[n, D]`, its dense features;
/// - `SPLIT_item.bin`: int32 `[n]`, the target item;
/// - `SPLIT_sequence.bin`: int32 `[n, L]`, the behaviours, oldest first, right-padded with the
///   padding id (the item vocabulary's size; a position is valid exactly where it differs);
/// - `SPLIT_label.bin`: float32 `[n]`, the click label;
///
/// and `item_category.bin`: int32 `[items + 1]`, the category of every item id (the padding
/// category, the category vocabulary's size, for the padding id), as ``ETAModel`` reads it;
/// `initial_NAME.bin` for every tensor of the network as built and `initial_test_logits.bin`
/// (see ``Header``), so that the reference can start from Funnel's very weights.
public struct BASEReferenceDump: Equatable {
    /// `header.json`: the network's sizes (``ETAModel/Configuration``), the data's, the training's.
    public struct Header: Codable, Equatable, Sendable {
        public var longLength, shortLength, retrieved, embeddingDimensions, hashBits: Int
        public var attentionDimensions, heads: Int
        public var dinHidden, hidden: [Int]
        public var itemVocabulary, categoryVocabulary: Int
        public var paddingID: Int32
        public var fields: [String]
        public var fieldSizes: [Int]
        public var dense: [String]
        public var batchSize: Int
        public var learningRate: Float
        public var rows: [String: Int]
        /// The shape of every tensor of the network as built (parameters and the SimHash
        /// projection), each in `initial_NAME.bin` (float32, row-major), for `--funnel-init`.
        public var initialTensors: [String: [Int]]
        /// How many logits `initial_test_logits.bin` holds: the untrained network's on the
        /// first test batch (float32), the check that both sides compute the same function.
        public var initialTestLogits: Int
    }

    /// One split's arrays, row-major.
    public struct Rows: Equatable, Sendable {
        public var features: [Int32] = []
        public var dense: [Float] = []
        public var items: [Int32] = []
        public var sequences: [Int32] = []
        public var labels: [Float] = []
    }

    public var header: Header
    public var splits: [String: Rows]
    public var categoryOfItem: [Int32]

    static let splitNames = ["train", "test"]

    /// The arrays of `batches` as the dump holds them; refuses a mask that is not "id ≠ padding".
    public static func rows(of batches: [Batch], network: ETAModel) throws -> Rows {
        let configuration = network.configuration
        let sizes = network.features.embedding?.rowsPerField ?? []
        let padding = Int32(network.items.count - 1)
        var rows = Rows()
        for batch in batches {
            let fields = network.features.categorical
            let matrix = fields.isEmpty ? [] : try batch.idMatrix(fields)
            rows.features += matrix.enumerated().map { $1 % Int32(sizes[$0 % fields.count]) }
            if !network.features.dense.isEmpty { rows.dense += try batch.denseTensor(network.features.dense).scalars }
            guard let items = batch.ids[configuration.item], let sequence = batch.sequences[configuration.behaviours],
                let labels = batch.floats[network.label]
            else {
                throw DataError.missingRequirement(dataset: "batch", column: configuration.behaviours, reason: "BASE's dump")
            }
            guard sequence.paddingID == padding, sequence.length == configuration.longLength,
                zip(sequence.ids, sequence.mask).allSatisfy({ ($0 != padding) == ($1 > 0) })
            else {
                throw DataError.missingRequirement(
                    dataset: "batch", column: configuration.behaviours,
                    reason: "the dump derives validity as id ≠ \(padding) at length \(configuration.longLength)")
            }
            rows.items += items
            rows.sequences += sequence.ids
            rows.labels += labels
        }
        return rows
    }

    /// Writes the dump of `dataset`'s splits as `network`'s batchers cut them.
    public static func write(network: ETAModel, dataset: Dataset, batchSize: Int, learningRate: Float, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var counts: [String: Int] = [:]
        for split in splitNames {
            // Batch by batch, appended: the dump never holds a whole split in memory.
            let batcher = try BASEBenchmark.batcher(network, dataset: dataset, split: split, batchSize: batchSize)
            let names = ["features", "dense", "item", "sequence", "label"].map { "\(directory)/\(split)_\($0).bin" }
            // A file that cannot be created fails on the next line, with FileHandle's error.
            for name in names { _ = FileManager.default.createFile(atPath: name, contents: nil) }
            let files = try names.map { try FileHandle(forWritingTo: URL(fileURLWithPath: $0)) }
            defer { for file in files { try? file.close() } }
            counts[split] = 0
            for slice in batcher.batches(epoch: 0) {
                let part = try Self.rows(of: [batcher.batch(slice)], network: network)
                counts[split, default: 0] += part.items.count
                try files[0].write(contentsOf: bytes(part.features))
                try files[1].write(contentsOf: bytes(part.dense))
                try files[2].write(contentsOf: bytes(part.items))
                try files[3].write(contentsOf: bytes(part.sequences))
                try files[4].write(contentsOf: bytes(part.labels))
            }
        }
        try save(try categoryOfItem(network: network, dataset: dataset), directory, "item_category")
        var initialTensors: [String: [Int]] = [:]
        for (name, tensor) in network.namedTensors() {
            initialTensors[name] = tensor.shape
            try save(tensor.scalars, directory, "initial_" + name)
        }
        let testBatcher = try BASEBenchmark.batcher(network, dataset: dataset, split: "test", batchSize: batchSize)
        let initialLogits = try testBatcher.batches(epoch: 0).first.map { slice in
            try withoutGradients { try network.logits(testBatcher.batch(slice)).scalars }
        } ?? []
        try save(initialLogits, directory, "initial_test_logits")
        let configuration = network.configuration
        let header = Header(
            longLength: configuration.longLength, shortLength: configuration.shortLength,
            retrieved: configuration.retrieved, embeddingDimensions: configuration.embeddingDimensions,
            hashBits: configuration.hashBits, attentionDimensions: configuration.attentionDimensions,
            heads: configuration.heads, dinHidden: configuration.dinHidden, hidden: configuration.hidden,
            itemVocabulary: network.items.count - 1, categoryVocabulary: network.categories.count - 1,
            paddingID: Int32(network.items.count - 1), fields: network.features.categorical,
            fieldSizes: network.features.embedding?.rowsPerField ?? [], dense: network.features.dense,
            batchSize: batchSize, learningRate: learningRate, rows: counts, initialTensors: initialTensors,
            initialTestLogits: initialLogits.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(header).write(to: URL(fileURLWithPath: directory + "/header.json"))
    }

    /// Reads a dump back (what `torch_base.py` reads).
    public static func read(from directory: String) throws -> BASEReferenceDump {
        let header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/header.json")))
        var splits: [String: Rows] = [:]
        for split in splitNames {
            splits[split] = Rows(
                features: try load(directory, "\(split)_features"), dense: try load(directory, "\(split)_dense"),
                items: try load(directory, "\(split)_item"), sequences: try load(directory, "\(split)_sequence"),
                labels: try load(directory, "\(split)_label"))
        }
        return BASEReferenceDump(header: header, splits: splits, categoryOfItem: try load(directory, "item_category"))
    }

    /// The category of every item id from the side table `itemCategory` names, then the padding
    /// category for the padding id: ``ETAModel``'s own table, rebuilt from the dataset.
    public static func categoryOfItem(network: ETAModel, dataset: Dataset) throws -> [Int32] {
        let items = network.items.count - 1
        let parts = network.configuration.itemCategory.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let side = dataset.sideTables[parts[0]],
            let schema = dataset.schema.sideTables.first(where: { $0.name == parts[0] }), schema.key.count == 1,
            let keys = side.column(schema.key[0])?.values.ids, let values = side.column(parts[1])?.values.ids
        else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: network.configuration.itemCategory, reason: "BASE's dump")
        }
        var categories = [Int32](repeating: 0, count: items + 1)
        for row in 0..<side.rowCount where Int(keys[row]) < items { categories[Int(keys[row])] = values[row] }
        categories[items] = Int32(network.categories.count - 1)
        return categories
    }

    private static func save<Element>(_ values: [Element], _ directory: String, _ name: String) throws {
        try bytes(values).write(to: URL(fileURLWithPath: "\(directory)/\(name).bin"))
    }

    /// The values' bytes, little-endian (the machine's order; a big-endian machine is refused).
    private static func bytes<Element>(_ values: [Element]) -> Data {
        precondition(1.littleEndian == 1, "Funnel: the dump is written little-endian")
        return values.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    private static func load<Element>(_ directory: String, _ name: String) throws -> [Element] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name).bin"))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Element.self)) }
    }
}
