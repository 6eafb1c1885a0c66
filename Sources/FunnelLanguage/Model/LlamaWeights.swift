import FunnelTensor

/// Every weight of a Llama decoder, dequantised to `Float` once at load and laid out for the
/// forward pass (``LlamaModel``). Names and shapes follow llama.cpp's GGUF convention
/// (`LLM_ARCH_LLAMA` in `llama-arch.cpp`); a GGUF matrix with `ne == [in, out]` is `out` rows
/// of `in` values — the `[out, in]` row-major layout `y = W·x` needs, multiplied with
/// `Tensor.matmul(x, W, transposeRight: true)`:
///
///     token_embd.weight          [vocab, hidden]   (also the output projection when tied)
///     blk.N.attn_norm.weight     [hidden]
///     blk.N.attn_q.weight        [hidden, hidden]  rows already permuted for RoPE normal mode
///     blk.N.attn_k.weight        [kv, hidden]      kv = keyValueHeadCount · headDimension
///     blk.N.attn_v.weight        [kv, hidden]
///     blk.N.attn_output.weight   [hidden, hidden]
///     blk.N.ffn_norm.weight      [hidden]
///     blk.N.ffn_gate.weight      [ffn, hidden]
///     blk.N.ffn_up.weight        [ffn, hidden]
///     blk.N.ffn_down.weight      [hidden, ffn]
///     output_norm.weight         [hidden]
///     output.weight              [vocab, hidden]   (absent in SmolLM2: tied to token_embd)
///
/// To cut the number of matrix products per layer, the query, key and value projections are
/// stacked into one `[hidden + 2·kv, hidden]` matrix and the gate and up projections into one
/// `[2·ffn, hidden]` matrix. Each tensor's shape is checked against the configuration; a
/// missing tensor or a wrong shape is refused with a ``LanguageFileError`` naming it.
public struct LlamaWeights: @unchecked Sendable {
    /// One transformer layer's weights.
    public struct Layer {
        /// `attn_norm`: the RMSNorm gain before attention, `[hidden]`.
        public let attentionNorm: [Float]
        /// `attn_q`, `attn_k`, `attn_v` stacked: `[hidden + 2·kv, hidden]`.
        public let queryKeyValue: Tensor
        /// `attn_output`: `[hidden, hidden]`.
        public let attentionOutput: Tensor
        /// `ffn_norm`: the RMSNorm gain before the feed-forward block, `[hidden]`.
        public let feedForwardNorm: [Float]
        /// `ffn_gate` and `ffn_up` stacked: `[2·ffn, hidden]`.
        public let gateUp: Tensor
        /// `ffn_down`: `[hidden, ffn]`.
        public let down: Tensor
    }

    /// The configuration the shapes were checked against.
    public let configuration: LlamaConfiguration
    /// `token_embd.weight`: `[vocab, hidden]`.
    public let tokenEmbedding: Tensor
    /// The layers, in order.
    public let layers: [Layer]
    /// `output_norm.weight`: `[hidden]`.
    public let outputNorm: [Float]
    /// `output.weight`, or the token embedding when the file ties them: `[vocab, hidden]`.
    public let output: Tensor

    /// Loads and dequantises every tensor of a llama GGUF file.
    public init(file: GGUFFile, configuration: LlamaConfiguration) throws {
        let hasOutput = file.tensors.contains { $0.name == "output.weight" }
        try self.init(configuration: configuration, file: file.path, hasOutput: hasOutput) { name, rows, columns, destination in
            let info = try file.tensor(named: name)
            let expected = rows == 1 ? [columns] : [columns, rows]
            guard info.dimensions == expected else {
                throw LanguageFileError(
                    file: file.path, field: "tensor \(name): dimensions",
                    reason: "\(info.dimensions); expected \(expected) for \(configuration)")
            }
            try file.dequantiseRows(info, rows: 0..<info.rowCount, into: destination)
        }
    }

    /// Weights given by name as row-major `Float` arrays of the GGUF shapes above (a synthetic
    /// model in tests); refuses a missing name or a wrong element count.
    public init(configuration: LlamaConfiguration, tensors: [String: [Float]]) throws {
        try self.init(configuration: configuration, file: "tensors", hasOutput: tensors["output.weight"] != nil) {
            name, rows, columns, destination in
            guard let values = tensors[name] else {
                throw LanguageFileError(file: "tensors", field: "tensor \(name)", reason: "missing")
            }
            guard values.count == rows * columns else {
                throw LanguageFileError(
                    file: "tensors", field: "tensor \(name): dimensions",
                    reason: "\(values.count) values; expected \(rows) × \(columns)")
            }
            _ = destination.update(from: values)
        }
    }

    /// The common loader: `fill(name, rows, columns, destination)` writes tensor `name`, checked
    /// to be `rows × columns`, into the first `rows · columns` floats of `destination`.
    private init(
        configuration: LlamaConfiguration, file: String, hasOutput: Bool,
        fill: (String, Int, Int, UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws {
        self.configuration = configuration
        let hidden = configuration.hiddenSize
        let keyValue = configuration.keyValueSize
        let feedForward = configuration.feedForwardSize
        let vocabulary = configuration.vocabularySize

        /// Stacks the named `[rows_i, columns]` matrices into one `[Σ rows_i, columns]` tensor.
        func matrix(_ parts: [(String, Int)], columns: Int) throws -> Tensor {
            let rows = parts.reduce(0) { $0 + $1.1 }
            let tensor = Tensor(shape: [rows, columns], repeating: 0)
            try tensor.withUnsafeMutableBufferPointer { buffer in
                var start = 0
                for (name, partRows) in parts {
                    let slice = UnsafeMutableBufferPointer(rebasing: buffer[(start * columns)..<((start + partRows) * columns)])
                    try fill(name, partRows, columns, slice)
                    start += partRows
                }
            }
            return tensor
        }
        func vector(_ name: String) throws -> [Float] {
            try [Float](unsafeUninitializedCapacity: hidden) { buffer, initialised in
                buffer.initialize(repeating: 0)
                initialised = hidden
                try fill(name, 1, hidden, buffer)
            }
        }

        tokenEmbedding = try matrix([("token_embd.weight", vocabulary)], columns: hidden)
        var layers: [Layer] = []
        layers.reserveCapacity(configuration.layerCount)
        for index in 0..<configuration.layerCount {
            let prefix = "blk.\(index)."
            layers.append(Layer(
                attentionNorm: try vector(prefix + "attn_norm.weight"),
                queryKeyValue: try matrix(
                    [(prefix + "attn_q.weight", hidden), (prefix + "attn_k.weight", keyValue), (prefix + "attn_v.weight", keyValue)],
                    columns: hidden),
                attentionOutput: try matrix([(prefix + "attn_output.weight", hidden)], columns: hidden),
                feedForwardNorm: try vector(prefix + "ffn_norm.weight"),
                gateUp: try matrix([(prefix + "ffn_gate.weight", feedForward), (prefix + "ffn_up.weight", feedForward)], columns: hidden),
                down: try matrix([(prefix + "ffn_down.weight", hidden)], columns: feedForward)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight")
        output = hasOutput ? try matrix([("output.weight", vocabulary)], columns: hidden) : tokenEmbedding
    }
}
