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
///
/// Loaded from a GGUF whose projections are stored as Q4_1 or Q8_0, the weights also keep each
/// projection's stored blocks (``QuantisedMatrix``, stacked like the `Float` matrices): the
/// one-token decode step multiplies by those (~6× fewer bytes to read than Float32) and the
/// batched prompt pass by the dequantised tensors. Weights given as `Float` arrays have none.
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
        /// ``queryKeyValue``'s stored blocks (q, k, v rows in the same order), when quantised.
        public internal(set) var quantisedQueryKeyValue: QuantisedMatrix? = nil
        /// ``attentionOutput``'s stored blocks, when quantised.
        public internal(set) var quantisedAttentionOutput: QuantisedMatrix? = nil
        /// ``gateUp``'s stored blocks (gate rows, then up rows), when quantised.
        public internal(set) var quantisedGateUp: QuantisedMatrix? = nil
        /// ``down``'s stored blocks, when quantised.
        public internal(set) var quantisedDown: QuantisedMatrix? = nil
    }

    /// A `rows × columns` weight matrix as the GGUF stores it: each row `columns / 32`
    /// consecutive Q4_1 (20-byte) or Q8_0 (34-byte) blocks, row after row.
    public struct QuantisedMatrix: Sendable {
        /// ``GGMLType/q4_1`` or ``GGMLType/q8_0``.
        public let type: GGMLType
        public let rows: Int
        public let columns: Int
        /// `rows · columns / 32` blocks.
        public let bytes: [UInt8]

        /// The block types the decode step multiplies by directly.
        public static let types: Set<GGMLType> = [.q4_1, .q8_0]

        /// Bytes of one row of `columns` values of `type` (nil for another type or a
        /// `columns` that is not a multiple of 32).
        static func rowByteCount(type: GGMLType, columns: Int) -> Int? {
            guard columns % 32 == 0 else { return nil }
            switch type {
            case .q4_1: return columns / 32 * QuantisedKernels.q4_1BlockByteCount
            case .q8_0: return columns / 32 * QuantisedKernels.q8_0BlockByteCount
            default: return nil
            }
        }

        /// `y = W·x`: `x` `[columns]`, `y` `[rows]`, over `Compute.threadCount` threads.
        public func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
            bytes.withUnsafeBytes { blocks in
                guard let base = blocks.baseAddress else { return }
                if type == .q4_1 {
                    QuantisedKernels.gemvQ4_1(blocks: base, rows: rows, columns: columns, x: x, y: y)
                } else {
                    QuantisedKernels.gemvQ8_0(blocks: base, rows: rows, columns: columns, x: x, y: y)
                }
            }
        }
    }

    /// The configuration the shapes were checked against.
    public let configuration: LlamaConfiguration
    /// `token_embd.weight`: `[vocab, hidden]`.
    public let tokenEmbedding: Tensor
    /// The layers, in order.
    public internal(set) var layers: [Layer]
    /// `output_norm.weight`: `[hidden]`.
    public let outputNorm: [Float]
    /// `output.weight`, or the token embedding when the file ties them: `[vocab, hidden]`.
    public let output: Tensor
    /// ``output``'s stored blocks, when quantised (the token embedding's when tied).
    public internal(set) var quantisedOutput: QuantisedMatrix? = nil

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

        /// The named `[rows_i, columns]` tensors' blocks stacked into one matrix, or nil unless
        /// all are stored in one type of ``QuantisedMatrix/types``.
        func quantised(_ parts: [String], columns: Int) throws -> QuantisedMatrix? {
            let infos = try parts.map { try file.tensor(named: $0) }
            guard let type = infos.first?.type, QuantisedMatrix.types.contains(type),
                  infos.allSatisfy({ $0.type == type && $0.rowLength == columns }),
                  let rowBytes = QuantisedMatrix.rowByteCount(type: type, columns: columns)
            else { return nil }
            let rows = infos.reduce(0) { $0 + $1.rowCount }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(rows * rowBytes)
            for info in infos {
                try file.withRawRows(info, rows: 0..<info.rowCount) { source in
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: source, count: info.rowCount * rowBytes))
                }
            }
            return QuantisedMatrix(type: type, rows: rows, columns: columns, bytes: bytes)
        }
        let hidden = configuration.hiddenSize
        let feedForward = configuration.feedForwardSize
        for index in layers.indices {
            let prefix = "blk.\(index)."
            layers[index].quantisedQueryKeyValue = try quantised(
                [prefix + "attn_q.weight", prefix + "attn_k.weight", prefix + "attn_v.weight"], columns: hidden)
            layers[index].quantisedAttentionOutput = try quantised([prefix + "attn_output.weight"], columns: hidden)
            layers[index].quantisedGateUp = try quantised([prefix + "ffn_gate.weight", prefix + "ffn_up.weight"], columns: hidden)
            layers[index].quantisedDown = try quantised([prefix + "ffn_down.weight"], columns: feedForward)
        }
        quantisedOutput = try quantised([hasOutput ? "output.weight" : "token_embd.weight"], columns: hidden)
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
