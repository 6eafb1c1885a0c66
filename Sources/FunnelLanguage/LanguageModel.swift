import Foundation

/// The in-process chat model: one GGUF file's tokenizer, chat template and Llama decoder
/// together, with generation (greedy or sampled, optionally under a grammar) and completion
/// log-probabilities — what conversational.md §6 asks of an LLM backend.
///
/// Loading dequantises every weight to Float32 (SmolLM2-135M: about 0.3 s and 550 MB).
/// Generation prefills the prompt in chunks aligned to absolute positions (``prefillChunk``),
/// then feeds only the new token at each step. A prefix cache keeps the keys and values of the
/// last prompts' chunk-aligned prefixes, so a prompt sharing a long prefix with an earlier one
/// (the same instructions, a dialogue history that only grows) computes only the rest — with
/// bit-identical results, whether the cache is warm, cold or disabled.
public final class LanguageModel: @unchecked Sendable {
    // @unchecked: every stored property is immutable after loading but the locked mask cache
    // and the locked prefix cache.
    public let tokenizer: ByteLevelBPETokenizer
    public let template: ChatTemplate
    public let model: LlamaModel
    /// The file the model was read from.
    public let path: String
    /// The token masks of the response formats asked for so far (``LanguageModelBackend``),
    /// behind `constraintsLock`.
    private var constraints: [ResponseFormat: TokenConstraint] = [:]
    private let constraintsLock = NSLock()
    /// The prompt positions fed to the decoder at once: prompts are prefilled in chunks
    /// `[0, c)`, `[c, 2c)`, … of absolute positions, the last one partial. Aligning the chunks
    /// (rather than feeding whatever follows a reused prefix in one pass) is what makes the
    /// prefix cache exact: a prefix reused at a chunk boundary holds exactly the keys and values
    /// a cold run computes, because each position is computed in the same chunk, with the same
    /// tokens and the same GEMM shapes, either way — so the logits that follow are the same
    /// bits too. 64 keeps the GEMMs large enough to run near full speed while wasting little
    /// of a shared prefix (at most one chunk of it is recomputed).
    public let prefillChunk = 64
    /// The most prompt prefixes the prefix cache keeps; 0 disables it (prompts are still
    /// prefilled in aligned chunks, so results do not depend on it).
    public let prefixCacheCapacity: Int
    /// The cached prefixes' KV caches and the statistics, behind `prefixLock`.
    private var prefixes: PrefixCache<LlamaKVCache>
    private var statistics = PrefixCacheStatistics()
    private let prefixLock = NSLock()

    /// Reads the GGUF at `path`, keeping up to `prefixCacheCapacity` prompt prefixes
    /// (SmolLM2-135M: 46 KB per cached position).
    /// - Throws: ``LanguageFileError`` naming the file and the field (a truncated file, an
    ///   unsupported tensor type, a missing tokenizer or model key, a wrong tensor shape).
    public convenience init(path: String, prefixCacheCapacity: Int = 8) throws {
        let file = try GGUFFile(path: path)
        try self.init(
            tokenizer: ByteLevelBPETokenizer(gguf: file), template: ChatTemplate(gguf: file), model: LlamaModel(file: file),
            path: path, prefixCacheCapacity: prefixCacheCapacity)
    }

    /// A chat model from parts already loaded (e.g. another model's tokenizer and template over
    /// LoRA-merged weights, `LlamaModel(weights: adapter.mergedWeights())`); `path` names
    /// where they came from. `prefixCacheCapacity` as the property (at least 0).
    public init(tokenizer: ByteLevelBPETokenizer, template: ChatTemplate, model: LlamaModel, path: String, prefixCacheCapacity: Int = 8) {
        self.tokenizer = tokenizer
        self.template = template
        self.model = model
        self.path = path
        self.prefixCacheCapacity = max(0, prefixCacheCapacity)
        prefixes = PrefixCache(capacity: max(0, prefixCacheCapacity), chunk: prefillChunk)
    }

    /// The prompt positions computed and reused since loading or the last ``clearPrefixCache()``.
    public var prefixCacheStatistics: PrefixCacheStatistics { prefixLock.withLock { statistics } }

    /// Forgets every cached prefix and zeroes ``prefixCacheStatistics``.
    public func clearPrefixCache() {
        prefixLock.withLock {
            prefixes.removeAll()
            statistics = PrefixCacheStatistics()
        }
    }

    /// The prompt ids of `messages`: the chat template's text (with the generation prompt),
    /// tokenised with its control tokens recognised.
    public func promptTokens(_ messages: [ChatMessage]) -> [Int32] {
        tokenizer.encode(template.render(messages), parseSpecial: true)
    }

    /// Continues `prompt` by `options` (greedy at temperature 0), under `constraint` if given,
    /// until the tokenizer's end-of-sequence token (SmolLM2's is ChatML's `<|im_end|>`), a stop
    /// sequence or the token limit.
    public func generate(prompt: [Int32], options: SamplingOptions = SamplingOptions(), constraint: TokenConstraint? = nil) throws -> GenerationResult {
        var cache = model.makeCache()
        let sampler = ConstrainedSampler(tokenizer: tokenizer, constraint: constraint, options: options)
        return try sampler.generate(prompt: prompt) { sequence in
            // The first call receives the whole prompt; each later one, one generated token more.
            if cache.count == 0 { return try prefill(sequence, cache: &cache) }
            return try model.logits(forTokens: Array(sequence[cache.count...]), cache: &cache)
        }
    }

    /// Feeds `prompt` (`[P]`) into the empty `cache` and returns the last position's logits
    /// (`[vocab]`): the longest chunk-aligned prefix shared with a cached prompt is copied from
    /// the prefix cache, the rest is fed in chunks aligned to absolute positions
    /// (``prefillChunk``), and the prompt's own aligned prefix is cached for later prompts.
    /// `cache` ends holding all `P` positions.
    func prefill(_ prompt: [Int32], cache: inout LlamaKVCache) throws -> [Float] {
        precondition(cache.count == 0, "Funnel: prefilling a cache of \(cache.count) positions")
        // An empty prompt: the decoder's own error.
        guard !prompt.isEmpty else { return try model.logits(forTokens: prompt, cache: &cache) }
        if let (length, cached) = prefixLock.withLock({ prefixes.match(prompt) }) {
            cache = cached
            cache.truncate(to: length)
        }
        let reused = cache.count
        var logits: [Float] = []
        while cache.count < prompt.count {
            let start = cache.count
            let end = min((start / prefillChunk + 1) * prefillChunk, prompt.count)
            logits = try model.logits(forTokens: Array(prompt[start..<end]), cache: &cache)
        }
        // Only prompt positions computed by whole aligned chunks are stored: a partial last chunk
        // (and later the one-token steps of generation) runs other GEMM shapes.
        let storable = prompt.count / prefillChunk * prefillChunk
        var stored: LlamaKVCache?
        if prefixCacheCapacity > 0, storable > reused {
            stored = cache
            stored?.truncate(to: storable)
        }
        prefixLock.withLock {
            if let stored { prefixes.insert(tokens: Array(prompt.prefix(storable)), value: stored) }
            statistics.prefilledTokens += prompt.count - reused
            statistics.reusedTokens += reused
        }
        return logits
    }

    /// The assistant's reply to `messages`.
    public func chat(_ messages: [ChatMessage], options: SamplingOptions = SamplingOptions(), constraint: TokenConstraint? = nil) throws -> GenerationResult {
        try generate(prompt: promptTokens(messages), options: options, constraint: constraint)
    }

    /// `Σ log p(completion | messages)` in nats: the reply `completion` after the chat prompt
    /// of `messages`, followed by the template's end-of-message token when `includesEnd`
    /// (how a fine-tuning example ends), as DPO compares policy and reference
    /// (conversational.md §6).
    public func logProbability(messages: [ChatMessage], completion: String, includesEnd: Bool = true) throws -> Double {
        let text = completion + (includesEnd ? ChatTemplate.messageEnd : "")
        return try model.logProbability(prompt: promptTokens(messages), completion: tokenizer.encode(text, parseSpecial: true))
    }

    /// The token mask of `format`, built once per format and model (walking the vocabulary's
    /// trie for each new grammar costs about a second); `nil` for free text.
    public func constraint(for format: ResponseFormat) throws -> TokenConstraint? {
        if let cached = constraintsLock.withLock({ constraints[format] }) { return cached }
        guard let automaton = try format.automaton() else { return nil }
        let constraint = TokenConstraint(automaton: automaton, tokenizer: tokenizer)
        constraintsLock.withLock { constraints[format] = constraint }
        return constraint
    }
}
