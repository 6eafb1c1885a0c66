import Foundation
import FunnelData
import FunnelModels
import FunnelONNX
import FunnelTraining
import Testing

/// The ONNX export on a small CSV dataset with what the simulated worlds lack: dense feature
/// columns (the `dense` input; MultiTaskNetwork's dense projection) and built and hashed
/// vocabularies (the key → id table of the vocabulary file, and the documented hash).
@Suite struct ONNXTabularTests {
    /// 800 training and 400 test rows: `user` (built, at least 2 occurrences), `item` (hashed
    /// into 32 buckets), `city` (built), `price` and `age` (dense), `click`, `conversion`.
    static let dataset = Result { () throws -> String in
        let folder = try ONNXParity.temporaryFolder()
        let schema = DatasetSchema(
            name: "tabular",
            tables: ["train": TableFile(file: "train.csv"), "test": TableFile(file: "test.csv")],
            columns: [
                ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .built(minimumCount: 2)),
                ColumnSchema(name: "item", kind: .categorical, role: .item, vocabulary: .hashed(buckets: 32)),
                ColumnSchema(name: "city", kind: .categorical, vocabulary: .built(minimumCount: 1)),
                ColumnSchema(name: "price", kind: .dense),
                ColumnSchema(name: "age", kind: .dense),
                ColumnSchema(name: "click", kind: .label),
                ColumnSchema(name: "conversion", kind: .label),
            ])
        try schema.write(directory: folder)
        var state: UInt64 = 0x5EED
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(UInt64(1) << 53)
        }
        for (split, rows) in [("train", 800), ("test", 400)] {
            var lines = ["user,item,city,price,age,click,conversion"]
            for _ in 0..<rows {
                let user = Int(next() * 120), item = Int(next() * 200), city = Int(next() * 9)
                let price = (next() * 100).rounded() / 10, age = (18 + next() * 50).rounded()
                let click = next() < 0.2 + 0.3 * Double(city % 2) ? 1 : 0
                let conversion = click == 1 && next() < 0.4 ? 1 : 0
                lines.append("u\(user),i\(item),c\(city),\(price),\(age),\(click),\(conversion)")
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: "\(folder)/\(split).csv", atomically: true, encoding: .utf8)
        }
        return folder
    }

    static let cases: [(ModelKind, String?)] = [
        (.logisticRegression, nil),
        (.mlp, #"{"embeddingDimensions": 4, "hiddenDimensions": [8]}"#),
        (.esmm, #"{"network": {"embeddingDimensions": 4, "towerHidden": [8]}}"#),
        (.mmoe, #"{"embeddingDimensions": 4, "experts": 2, "expertHidden": [8], "towerHidden": [4]}"#),
    ]

    @Test(arguments: cases.indices)
    func denseFeaturesMatchFunnelInOnnxruntime(index: Int) throws {
        let (kind, configuration) = Self.cases[index]
        let trained = try ONNXParity.trained(kind, data: try Self.dataset.get(), configuration: configuration)
        let exported = try ONNXExport.export(trained)
        #expect(exported.inputs.last == ONNXExport.Port(name: "dense", elementType: "float", shape: ["N", "2"]))
        #expect(exported.vocabulary.dense == ["price", "age"])
        try ONNXParity.expectParity(trained)
    }

    /// A client maps a raw token with the vocabulary file alone (the documented hash, the
    /// buckets, the key table) to the id Funnel's reader gives it.
    @Test func vocabularyFileMapsRawTokensAsFunnelDoes() throws {
        let trained = try ONNXParity.trained(.logisticRegression, data: try Self.dataset.get(), configuration: nil)
        let file = try ONNXExport.export(trained).vocabulary
        #expect(file.inputs.map(\.input) == ["user", "item", "city"])
        #expect(file.inputs.map(\.kind) == ["built", "hashed", "built"])
        #expect(file.inputs[1].buckets == 32 && file.inputs[1].size == 33)
        let encoded = try JSONDecoder().decode(ONNXVocabularyFile.self, from: try file.encoded())
        #expect(encoded == file)
        for input in file.inputs {
            let table = try #require(trained.dataset.vocabulary(for: input.vocabularyOf))
            #expect(input.size == table.size)
            let tokens = input.input == "user" ? (0..<130).map { "u\($0)" } : input.input == "item" ? (0..<210).map { "i\($0)" } : (0..<12).map { "c\($0)" }
            for token in tokens + [""] {
                #expect(Self.clientID(token, input) == table.id(forToken: token), "\(input.input) '\(token)'")
            }
        }
    }

    /// The mapping of docs/onnx.md, from the file's fields only.
    static func clientID(_ token: String, _ input: ONNXVocabularyFile.Input) -> Int32? {
        if input.kind == "identity" { return Int32(token).flatMap { $0 >= 0 && Int($0) < input.size ? $0 : nil } }
        guard !token.isEmpty else { return 0 }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in token.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        if input.kind == "hashed" { return Int32(1 + hash % UInt64(input.buckets!)) }
        return input.keys?[String(Int64(bitPattern: hash))] ?? 0
    }
}
