import Foundation
import FunnelLanguage
import FunnelTensor
import FunnelTestSupport
import Testing

/// all-MiniLM-L6-v2's sentence embeddings from the real files in the model cache against the
/// NumPy float64 reference of `Scripts/minilm_reference.py`
/// (`Fixtures/embedding/minilm-embeddings.json`).
@Suite struct SentenceEmbedderTests {
    /// The model, loaded once per process.
    static let shared: Result<SentenceEmbedder, any Error> = Result {
        try SentenceEmbedder(folder: LanguageModels.miniLMFolder)
    }

    /// The reference: texts, their ids and embeddings, and the batch case.
    struct Reference {
        var texts: [String]
        var ids: [[Int32]]
        var embeddings: [[Float]]
        var batchIndices: [Int]
        var batchEmbeddings: [[Float]]

        static func load() throws -> Reference {
            let url = try #require(
                Bundle.module.url(
                    forResource: "Fixtures/embedding/minilm-embeddings", withExtension: "json"))
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let rows = try #require(object["embeddings"] as? [[String: Any]])
            let batch = try #require(object["batch"] as? [String: Any])
            func floats(_ value: Any?) throws -> [Float] {
                try #require(value as? [NSNumber]).map(\.floatValue)
            }
            return Reference(
                texts: try rows.map { try #require($0["text"] as? String) },
                ids: try rows.map {
                    try #require($0["ids"] as? [NSNumber]).map { Int32(truncating: $0) }
                },
                embeddings: try rows.map { try floats($0["embedding"]) },
                batchIndices: try #require(batch["indices"] as? [Int]),
                batchEmbeddings: try #require(batch["embeddings"] as? [Any]).map { try floats($0) })
        }
    }

    /// The reference and the 12 texts embedded together (one padded batch), computed once per
    /// process and shared by the tests (a forward pass in a debug build takes seconds).
    static let embedded: Result<(reference: Reference, embeddings: [[Float]]), any Error> = Result {
        let reference = try Reference.load()
        return (reference, try shared.get().embed(reference.texts))
    }

    static func maximumDifference(_ left: [Float], _ right: [Float]) -> Float {
        zip(left, right).map { abs($0 - $1) }.max() ?? .infinity
    }

    static func dot(_ left: [Float], _ right: [Float]) -> Float {
        zip(left, right).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @Test(.needsLanguageModels) func matchesTheNumPyReference() throws {
        let embedder = try Self.shared.get()
        let (reference, embeddings) = try Self.embedded.get()
        #expect(
            reference.texts.map { embedder.tokenizer.encode($0, maximumLength: 256) }
                == reference.ids)
        #expect(embeddings.count == 12)
        var worst: Float = 0
        for (index, (embedding, expected)) in zip(embeddings, reference.embeddings).enumerated() {
            #expect(embedding.count == 384 && expected.count == 384)
            let difference = Self.maximumDifference(embedding, expected)
            worst = max(worst, difference)
            #expect(difference <= 1e-5, "text \(index): \(difference)")
        }
        print("MiniLM: largest difference from the NumPy reference \(worst)")
        for (index, expected) in zip(reference.batchIndices, reference.batchEmbeddings) {
            #expect(Self.maximumDifference(embeddings[index], expected) <= 1e-5)
        }
    }

    @Test(.needsLanguageModels) func embeddingsHaveUnitNorm() throws {
        let embedder = try Self.shared.get()
        for embedding in try Self.embedded.get().embeddings + embedder.embed(["", "a"]) {
            #expect(abs(Self.dot(embedding, embedding).squareRoot() - 1) <= 1e-5)
        }
    }

    @Test(.needsLanguageModels) func paddingInABatchLeavesAnEmbeddingUnchanged() throws {
        let embedder = try Self.shared.get()
        let (reference, together) = try Self.embedded.get()
        var worst: Float = 0
        for (text, batched) in zip(reference.texts, together) {
            worst = max(worst, Self.maximumDifference(embedder.embed([text])[0], batched))
        }
        print("MiniLM: largest difference between a text alone and in a padded batch \(worst)")
        #expect(worst <= 1e-6, "\(worst)")
    }

    @Test(.needsLanguageModels) func threadCountDoesNotChangeEmbeddings() throws {
        let embedder = try Self.shared.get()
        let texts = Array(try Self.embedded.get().reference.texts.prefix(4))
        let one = Compute.withThreads(1) { embedder.embed(texts) }
        let two = Compute.withThreads(2) { embedder.embed(texts) }
        #expect(one == two)
    }

    @Test(.needsLanguageModels) func similarSentencesAreCloserThanUnrelatedOnes() throws {
        let embedder = try Self.shared.get()
        let embeddings = embedder.embed([
            "A man is playing a guitar.", "Someone is playing an acoustic guitar.",
            "The central bank raised interest rates again.",
        ])
        let similar = Self.dot(embeddings[0], embeddings[1])
        let unrelated = Self.dot(embeddings[0], embeddings[2])
        #expect(
            similar > 0.5 && similar > unrelated + 0.3, "similar \(similar), unrelated \(unrelated)"
        )
    }

    @Test(.needsLanguageModels) func truncatesToTheMaximumLength() throws {
        var embedder = try Self.shared.get()
        let long = Array(repeating: "word", count: 300).joined(separator: " ")
        #expect(embedder.tokenizer.encode(long, maximumLength: embedder.maximumLength).count == 256)
        embedder.maximumLength = 24
        let longer = embedder.embed([long])[0]
        embedder.maximumLength = 12
        let short = embedder.embed([long])[0]
        #expect(
            longer.count == 384 && short.count == 384 && Self.maximumDifference(longer, short) > 0)
    }

    @Test func refusesAMissingFolder() {
        #expect(throws: LanguageFileError.self) {
            try SentenceEmbedder(folder: "/nonexistent/all-minilm-l6-v2")
        }
        #expect(throws: LanguageFileError.self) {
            try BertEncoder(file: "/nonexistent/model.safetensors", configuration: .miniLM)
        }
    }
}
