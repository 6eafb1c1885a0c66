/// The hyper-parameters of a Llama decoder (Touvron et al. 2023, "LLaMA: Open and Efficient
/// Foundation Language Models"), read from a GGUF file's `llama.*` metadata the way llama.cpp
/// reads them (`llm_load_hparams`).
///
/// For SmolLM2-135M-Instruct: 30 layers, hidden size 576, 9 query heads and 3 key/value heads
/// of 64 values each (grouped-query attention, 3 query heads per key/value head), feed-forward
/// size 1536, vocabulary 49 152, RMSNorm ε 1e-5, RoPE base 1e5.
public struct LlamaConfiguration: Sendable, Equatable {
    /// `llama.block_count`: the number of transformer layers.
    public var layerCount: Int
    /// `llama.embedding_length`: the width of the residual stream (`d_model`).
    public var hiddenSize: Int
    /// `llama.attention.head_count`: query heads.
    public var headCount: Int
    /// `llama.attention.head_count_kv`: key/value heads (equal to ``headCount`` without
    /// grouped-query attention); each serves `headCount / keyValueHeadCount` query heads.
    public var keyValueHeadCount: Int
    /// `llama.feed_forward_length`: the SwiGLU hidden width.
    public var feedForwardSize: Int
    /// `llama.vocab_size`, or the length of `tokenizer.ggml.tokens` when absent.
    public var vocabularySize: Int
    /// `llama.context_length`: the longest sequence the model was trained on.
    public var contextLength: Int
    /// `llama.attention.layer_norm_rms_epsilon`: the ε of every RMSNorm.
    public var normEpsilon: Float
    /// `llama.rope.freq_base`: the RoPE base (10 000 when absent, as in llama.cpp).
    public var ropeFrequencyBase: Float

    /// `hiddenSize / headCount`: the width of one attention head.
    public var headDimension: Int { hiddenSize / headCount }
    /// `keyValueHeadCount · headDimension`: the width of the key and value projections.
    public var keyValueSize: Int { keyValueHeadCount * headDimension }
    /// Query heads per key/value head.
    public var queriesPerKeyValueHead: Int { headCount / keyValueHeadCount }

    /// A configuration given field by field (synthetic models in tests); refuses sizes that do
    /// not divide into heads.
    public init(
        layerCount: Int, hiddenSize: Int, headCount: Int, keyValueHeadCount: Int, feedForwardSize: Int,
        vocabularySize: Int, contextLength: Int = 2048, normEpsilon: Float = 1e-5, ropeFrequencyBase: Float = 10_000
    ) throws {
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.feedForwardSize = feedForwardSize
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.normEpsilon = normEpsilon
        self.ropeFrequencyBase = ropeFrequencyBase
        try validate(file: "configuration")
    }

    /// Reads the `llama.*` keys of `file`, refusing a file whose `general.architecture` is not
    /// `llama`, a missing or mistyped key (by its name) and sizes that do not divide into heads.
    public init(file: GGUFFile) throws {
        let metadata = file.metadata
        let architecture = try file.string("general.architecture")
        guard architecture == "llama" else {
            throw LanguageFileError(file: file.path, field: "general.architecture", reason: "\"\(architecture)\"; expected \"llama\"")
        }
        layerCount = try file.int("llama.block_count")
        hiddenSize = try file.int("llama.embedding_length")
        headCount = try file.int("llama.attention.head_count")
        keyValueHeadCount = try file.int("llama.attention.head_count_kv")
        feedForwardSize = try file.int("llama.feed_forward_length")
        contextLength = try file.int("llama.context_length")
        normEpsilon = try file.float("llama.attention.layer_norm_rms_epsilon")
        ropeFrequencyBase = metadata["llama.rope.freq_base"] == nil ? 10_000 : try file.float("llama.rope.freq_base")
        if metadata["llama.vocab_size"] != nil {
            vocabularySize = try file.int("llama.vocab_size")
        } else {
            vocabularySize = try file.stringArray("tokenizer.ggml.tokens").count
        }
        try validate(file: file.path)
        if metadata["llama.rope.dimension_count"] != nil {
            let ropeDimensions = try file.int("llama.rope.dimension_count")
            guard ropeDimensions == headDimension else {
                throw LanguageFileError(
                    file: file.path, field: "llama.rope.dimension_count",
                    reason: "\(ropeDimensions); only rotating whole heads of \(headDimension) is supported")
            }
        }
    }

    private func validate(file: String) throws {
        func refuse(_ field: String, _ reason: String) -> LanguageFileError {
            LanguageFileError(file: file, field: field, reason: reason)
        }
        for (field, value) in [
            ("llama.block_count", layerCount), ("llama.embedding_length", hiddenSize),
            ("llama.attention.head_count", headCount), ("llama.attention.head_count_kv", keyValueHeadCount),
            ("llama.feed_forward_length", feedForwardSize), ("llama.vocab_size", vocabularySize),
            ("llama.context_length", contextLength),
        ] where value <= 0 {
            throw refuse(field, "\(value); expected a positive count")
        }
        guard hiddenSize % headCount == 0, headDimension % 2 == 0 else {
            throw refuse("llama.attention.head_count", "\(headCount) heads do not split \(hiddenSize) into even head widths")
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw refuse("llama.attention.head_count_kv", "\(keyValueHeadCount) does not divide the \(headCount) query heads")
        }
        guard normEpsilon.isFinite, normEpsilon >= 0 else {
            throw refuse("llama.attention.layer_norm_rms_epsilon", "\(normEpsilon); expected a finite ε ≥ 0")
        }
        guard ropeFrequencyBase.isFinite, ropeFrequencyBase > 1 else {
            throw refuse("llama.rope.freq_base", "\(ropeFrequencyBase); expected a finite base > 1")
        }
    }
}
