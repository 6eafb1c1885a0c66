import Foundation

/// The in-process chat model: one GGUF file's tokenizer, chat template and Llama decoder
/// together, with generation (greedy or sampled, optionally under a grammar) and completion
/// log-probabilities — what conversational.md §6 asks of an LLM backend.
///
/// Loading dequantises every weight to Float32 (SmolLM2-135M: about 0.3 s and 550 MB).
/// Generation keeps one KV cache per call and feeds only the new token at each step.
public final class LanguageModel: @unchecked Sendable {
    // @unchecked: every stored property is immutable after loading but the locked mask cache.
    public let tokenizer: ByteLevelBPETokenizer
    public let template: ChatTemplate
    public let model: LlamaModel
    /// The file the model was read from.
    public let path: String
    /// The token masks of the response formats asked for so far (``LanguageModelBackend``),
    /// behind `constraintsLock`.
    private var constraints: [ResponseFormat: TokenConstraint] = [:]
    private let constraintsLock = NSLock()

    /// Reads the GGUF at `path`.
    /// - Throws: ``LanguageFileError`` naming the file and the field (a truncated file, an
    ///   unsupported tensor type, a missing tokenizer or model key, a wrong tensor shape).
    public init(path: String) throws {
        let file = try GGUFFile(path: path)
        tokenizer = try ByteLevelBPETokenizer(gguf: file)
        template = try ChatTemplate(gguf: file)
        model = try LlamaModel(file: file)
        self.path = path
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
            try model.logits(forTokens: Array(sequence[cache.count...]), cache: &cache)
        }
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
