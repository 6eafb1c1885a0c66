import Foundation
import FunnelTensor

/// Sentence embeddings as Sentence-BERT computes them (Reimers & Gurevych, EMNLP 2019, arXiv
/// 1908.10084, §3; the `sentence-transformers` pipeline of all-MiniLM-L6-v2): WordPiece ids in
/// `[CLS] … [SEP]` (truncated to ``maximumLength``), a BERT encoder (Devlin et al., NAACL 2019),
/// the mean of the last layer's token states over the sequence's own tokens (padding excluded),
/// and L2 normalisation, so the dot product of two embeddings is their cosine similarity.
///
/// Texts are encoded in batches of at most ``batchSize``, grouped by token count (longest
/// first) so that little padding is computed; the result is in the order of the texts and,
/// up to the last bits of the arithmetic, does not depend on the batching. The kernels split
/// their work so that the results do not depend on `Compute.threadCount` either.
public struct SentenceEmbedder: Sendable {
    public let tokenizer: WordPieceTokenizer
    public let encoder: BertEncoder
    /// The most ids per text, `[CLS]` and `[SEP]` included (sentence-transformers'
    /// `max_seq_length` for all-MiniLM-L6-v2: 256); at most the encoder's positions.
    public var maximumLength: Int
    /// The most texts encoded together.
    public var batchSize: Int

    /// The width of an embedding (all-MiniLM-L6-v2: 384).
    public var dimension: Int { encoder.configuration.hiddenSize }

    /// Joins a tokenizer and an encoder.
    /// - Precondition: their vocabularies have the same size, `maximumLength` is at least 2 and
    ///   at most the encoder's positions, `batchSize` is positive.
    public init(
        tokenizer: WordPieceTokenizer, encoder: BertEncoder, maximumLength: Int = 256,
        batchSize: Int = 32
    ) {
        precondition(
            tokenizer.vocabularySize == encoder.configuration.vocabularySize,
            "Funnel: a tokenizer of \(tokenizer.vocabularySize) tokens for an encoder of \(encoder.configuration.vocabularySize)"
        )
        precondition(
            maximumLength >= 2 && maximumLength <= encoder.configuration.maximumPositions
                && batchSize > 0,
            "Funnel: sentence embedder with maximum length \(maximumLength) and batch size \(batchSize)"
        )
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.maximumLength = maximumLength
        self.batchSize = batchSize
    }

    /// Loads `config.json`, `vocab.txt` and `model.safetensors` from a folder (as the model's
    /// Hugging Face repository lays them out).
    public init(folder: String, maximumLength: Int = 256, batchSize: Int = 32) throws {
        let base = URL(fileURLWithPath: folder)
        try self.init(
            configuration: base.appendingPathComponent("config.json").path,
            vocabulary: base.appendingPathComponent("vocab.txt").path,
            weights: base.appendingPathComponent("model.safetensors").path,
            maximumLength: maximumLength,
            batchSize: batchSize)
    }

    /// Loads the three files from their paths.
    /// - Throws: ``LanguageFileError`` for a file that cannot be read or is refused, and when
    ///   the vocabulary's size is not the configuration's or `maximumLength` exceeds its positions.
    public init(
        configuration configurationPath: String, vocabulary vocabularyPath: String,
        weights weightsPath: String,
        maximumLength: Int = 256, batchSize: Int = 32
    ) throws {
        let configuration = try BertConfiguration(file: configurationPath)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: vocabularyPath)
        guard tokenizer.vocabularySize == configuration.vocabularySize else {
            throw LanguageFileError(
                file: vocabularyPath, field: "vocabulary",
                reason:
                    "has \(tokenizer.vocabularySize) tokens; expected vocab_size \(configuration.vocabularySize)"
            )
        }
        guard maximumLength >= 2, maximumLength <= configuration.maximumPositions else {
            throw LanguageFileError(
                file: configurationPath, field: "max_position_embeddings",
                reason:
                    "is \(configuration.maximumPositions); expected at least the maximum length \(maximumLength) (at least 2)"
            )
        }
        let encoder = try BertEncoder(file: weightsPath, configuration: configuration)
        self.init(
            tokenizer: tokenizer, encoder: encoder, maximumLength: maximumLength,
            batchSize: batchSize)
    }

    /// The L2-normalised mean-pooled embeddings of `texts`, ``dimension`` floats each, in order.
    public func embed(_ texts: [String]) -> [[Float]] {
        embed(tokenIds: texts.map { tokenizer.encode($0, maximumLength: maximumLength) })
    }

    /// The embeddings of already tokenised texts (`[CLS] … [SEP]` ids, at most the encoder's
    /// positions each).
    public func embed(tokenIds sequences: [[Int32]]) -> [[Float]] {
        var embeddings = [[Float]](repeating: [], count: sequences.count)
        // Longest first, ties in input order: the grouping depends only on the token counts.
        let order = sequences.indices.sorted {
            (sequences[$0].count, $1) > (sequences[$1].count, $0)
        }
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let members = Array(order[start..<min(start + batchSize, order.count)])
            let batch = members.map { sequences[$0] }
            let states = encoder.hiddenStates(batch)
            let pooled = Self.meanPooled(states, lengths: batch.map(\.count))
            for (member, vector) in zip(members, pooled) {
                embeddings[member] = Self.normalized(vector)
            }
        }
        return embeddings
    }

    /// The mean of each sequence's first `lengths[b]` token states (Reimers & Gurevych 2019,
    /// §3, MEAN strategy, weighted by the attention mask): `states` `[batch, length, width]`
    /// → `batch` vectors of `width`. Positions past a sequence's length (padding) are ignored.
    public static func meanPooled(_ states: Tensor, lengths: [Int]) -> [[Float]] {
        precondition(
            states.rank == 3 && states.shape[0] == lengths.count
                && lengths.allSatisfy { $0 > 0 && $0 <= states.shape[1] },
            "Funnel: mean pooling of states \(states.shape) over lengths \(lengths)")
        let (length, width) = (states.shape[1], states.shape[2])
        return states.withUnsafeBufferPointer { values in
            lengths.enumerated().map { row, count in
                var sum = [Float](repeating: 0, count: width)
                for position in 0..<count {
                    let start = (row * length + position) * width
                    for column in 0..<width { sum[column] += values[start + column] }
                }
                let scale = 1 / Float(count)
                return sum.map { $0 * scale }
            }
        }
    }

    /// `vector / ‖vector‖₂`; a zero vector stays zero (sentence-transformers divides by
    /// max(‖v‖, 10⁻¹²)).
    public static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return vector.map { $0 / max(norm, 1e-12) }
    }
}
