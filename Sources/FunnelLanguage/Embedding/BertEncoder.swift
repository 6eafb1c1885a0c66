import Foundation
import FunnelNN
import FunnelTensor

/// A BERT encoder (Devlin et al., NAACL 2019, arXiv 1810.04805) for inference: the sum of word,
/// absolute-position and token-type embeddings, layer-normalised, then ``BertConfiguration/layerCount``
/// post-norm transformer blocks — multi-head self-attention, output projection, residual and
/// layer norm; a GELU (erf form) feed-forward layer, residual and layer norm. all-MiniLM-L6-v2,
/// the encoder of Sentence-BERT's (Reimers & Gurevych, EMNLP 2019, arXiv 1908.10084)
/// `all-MiniLM-L6-v2`, is one with the ``BertConfiguration/miniLM`` configuration.
///
/// The weights are Hugging Face's `BertModel` names (`embeddings.*`, `encoder.layer.N.*`) in
/// PyTorch's layout: a linear weight is `[out, in]` and `y = x·Wᵀ + b`. Other entries of the
/// file (the pooler, `embeddings.position_ids`) are ignored.
///
/// The tensors are created once and never written afterwards (no gradients are kept: the
/// forward pass runs in ``withoutGradients(_:)``), so an encoder may be shared between threads.
public final class BertEncoder: @unchecked Sendable {
    public let configuration: BertConfiguration
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let typeEmbeddings: [Float]
    let embeddingNormalization: (gain: Tensor, offset: Tensor)
    let layers: [BertLayer]

    /// Reads the weights of a `model.safetensors` (see ``init(entries:configuration:file:)``).
    /// - Throws: ``LanguageFileError`` when the file cannot be read or a tensor is refused.
    public convenience init(file path: String, configuration: BertConfiguration) throws {
        let entries: [String: SafeTensors.Entry]
        do {
            entries = try SafeTensors.read(file: path).entries
        } catch {
            throw LanguageFileError(file: path, field: "safetensors", reason: "\(error)")
        }
        try self.init(entries: entries, configuration: configuration, file: path)
    }

    /// Builds the encoder from safetensors entries, each checked against `configuration`.
    /// - Throws: ``LanguageFileError`` (field `tensor NAME`) for a missing tensor, one that is
    ///   not F32, or one whose shape differs from the configuration's; `file` names the source.
    public init(
        entries: [String: SafeTensors.Entry], configuration: BertConfiguration,
        file: String = "<entries>"
    ) throws {
        let (hidden, intermediate) = (configuration.hiddenSize, configuration.intermediateSize)
        func values(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let entry = entries[name] else {
                throw LanguageFileError(file: file, field: "tensor \(name)", reason: "is missing")
            }
            guard entry.shape == shape else {
                throw LanguageFileError(
                    file: file, field: "tensor \(name): shape",
                    reason: "is \(entry.shape); expected \(shape)")
            }
            guard case .float32(let values) = entry.values, values.count == shape.reduce(1, *)
            else {
                throw LanguageFileError(
                    file: file, field: "tensor \(name): type", reason: "is not F32; expected F32")
            }
            return values
        }
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            Tensor(shape: shape, scalars: try values(name, shape))
        }
        func linear(_ name: String, out: Int, in inputs: Int) throws -> (
            weight: Tensor, bias: Tensor
        ) {
            (try tensor(name + ".weight", [out, inputs]), try tensor(name + ".bias", [out]))
        }
        func normalization(_ name: String) throws -> (gain: Tensor, offset: Tensor) {
            (try tensor(name + ".weight", [hidden]), try tensor(name + ".bias", [hidden]))
        }
        self.configuration = configuration
        wordEmbeddings = try values(
            "embeddings.word_embeddings.weight", [configuration.vocabularySize, hidden])
        positionEmbeddings = try values(
            "embeddings.position_embeddings.weight", [configuration.maximumPositions, hidden])
        typeEmbeddings = try values(
            "embeddings.token_type_embeddings.weight", [configuration.typeVocabularySize, hidden])
        embeddingNormalization = try normalization("embeddings.LayerNorm")
        layers = try (0..<configuration.layerCount).map { index in
            let prefix = "encoder.layer.\(index)."
            return BertLayer(
                query: try linear(prefix + "attention.self.query", out: hidden, in: hidden),
                key: try linear(prefix + "attention.self.key", out: hidden, in: hidden),
                value: try linear(prefix + "attention.self.value", out: hidden, in: hidden),
                attentionOutput: try linear(
                    prefix + "attention.output.dense", out: hidden, in: hidden),
                attentionNormalization: try normalization(prefix + "attention.output.LayerNorm"),
                intermediate: try linear(
                    prefix + "intermediate.dense", out: intermediate, in: hidden),
                output: try linear(prefix + "output.dense", out: hidden, in: intermediate),
                outputNormalization: try normalization(prefix + "output.LayerNorm"))
        }
    }

    /// The last layer's token states of a batch of token-id sequences, padded at the end to the
    /// longest; padded positions are excluded as attention keys (their own states are computed
    /// but meaningless). Token types are all 0; positions count from 0 in each sequence.
    ///
    /// - Precondition: every sequence is non-empty, at most ``BertConfiguration/maximumPositions``
    ///   long, its ids in `0 ..< vocabularySize`.
    /// - Returns: `[batch, longest, hiddenSize]`, row-major.
    public func hiddenStates(_ sequences: [[Int32]]) -> Tensor {
        let (hidden, vocabulary) = (configuration.hiddenSize, configuration.vocabularySize)
        let batch = sequences.count
        let longest = sequences.map(\.count).max() ?? 0
        precondition(
            batch > 0 && sequences.allSatisfy { !$0.isEmpty },
            "Funnel: BERT needs non-empty sequences")
        precondition(
            longest <= configuration.maximumPositions,
            "Funnel: a sequence of \(longest) tokens is longer than BERT's \(configuration.maximumPositions) positions"
        )
        var embedded = [Float](repeating: 0, count: batch * longest * hidden)
        var mask = [Float](repeating: 0, count: batch * longest)
        for (row, sequence) in sequences.enumerated() {
            for position in 0..<longest {
                let start = (row * longest + position) * hidden
                guard position < sequence.count else {
                    mask[row * longest + position] = -.infinity
                    continue
                }
                let id = Int(sequence[position])
                precondition(
                    id >= 0 && id < vocabulary,
                    "Funnel: token id \(id) is outside BERT's vocabulary of \(vocabulary)")
                for column in 0..<hidden {
                    embedded[start + column] =
                        wordEmbeddings[id * hidden + column]
                        + positionEmbeddings[position * hidden + column]
                        + typeEmbeddings[column]
                }
            }
        }
        return withoutGradients {
            var states = Tensor.layerNormalized(
                Tensor(shape: [batch * longest, hidden], scalars: embedded),
                gain: embeddingNormalization.gain,
                offset: embeddingNormalization.offset,
                epsilon: configuration.layerNormalizationEpsilon)
            let keyMask = Tensor(shape: [batch, 1, 1, longest], scalars: mask)
            for layer in layers {
                states = layer(
                    states, batch: batch, length: longest, heads: configuration.headCount,
                    mask: keyMask,
                    epsilon: configuration.layerNormalizationEpsilon)
            }
            return states.reshaped([batch, longest, hidden])
        }
    }
}

/// One post-norm transformer block of BERT (Devlin et al. 2019, §3; Vaswani et al. 2017).
struct BertLayer {
    var query, key, value, attentionOutput: (weight: Tensor, bias: Tensor)
    var attentionNormalization: (gain: Tensor, offset: Tensor)
    var intermediate, output: (weight: Tensor, bias: Tensor)
    var outputNormalization: (gain: Tensor, offset: Tensor)

    /// `states` `[batch·length, hidden]` → `[batch·length, hidden]`; `mask` `[batch, 1, 1, length]`
    /// is added to the attention scores (−∞ for padding keys).
    func callAsFunction(
        _ states: Tensor, batch: Int, length: Int, heads: Int, mask: Tensor, epsilon: Float
    ) -> Tensor {
        let hidden = states.shape[1]
        func project(_ input: Tensor, _ layer: (weight: Tensor, bias: Tensor)) -> Tensor {
            Tensor.linear(input, weight: layer.weight, bias: layer.bias)
        }
        let shape = [batch, length, hidden]
        let context = Tensor.attention(
            queries: project(states, query).reshaped(shape),
            keys: project(states, key).reshaped(shape),
            values: project(states, value).reshaped(shape), heads: heads, mask: mask)
        let attended = Tensor.layerNormalized(
            project(context.reshaped([batch * length, hidden]), attentionOutput) + states,
            gain: attentionNormalization.gain, offset: attentionNormalization.offset,
            epsilon: epsilon)
        let widened = Self.exactGELU(project(attended, intermediate))
        return Tensor.layerNormalized(
            project(widened, output) + attended, gain: outputNormalization.gain,
            offset: outputNormalization.offset,
            epsilon: epsilon)
    }

    /// GELU in its exact form `x·Φ(x) = ½·x·(1 + erf(x/√2))` (Hendrycks & Gimpel, arXiv
    /// 1606.08415), BERT's `gelu`; FunnelTensor's ``Tensor/gelu()`` is the tanh approximation,
    /// which differs by up to about 10⁻³. Element-wise, so its split over threads does not
    /// change the result.
    static func exactGELU(_ input: Tensor) -> Tensor {
        let output = input.copy()
        let count = output.count
        output.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let tasks = max(1, min(Compute.threadCount * 4, count / 16_384))
            Compute.parallelFor(tasks: tasks) { task in
                for index in Compute.range(of: task, tasks: tasks, count: count) {
                    let x = base[index]
                    base[index] = 0.5 * x * (1 + erf(x * Float(0.5).squareRoot()))
                }
            }
        }
        return output
    }
}
