import Foundation

/// What ECPO's simulator, agent and pair builder ask of a language model (conversational.md §6):
/// a chat reply, optionally in a required shape, and the summed log-probability of a given reply.
/// ``LanguageModel`` is the in-process implementation; a client of an OpenAI-compatible server
/// (for a larger model served elsewhere) is the other one the issue asks for.
public protocol LanguageModelBackend: Sendable {
    /// The assistant's reply to `messages`, sampled by `options`, obeying `format`.
    func chat(_ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat) throws -> String
    /// `Σ log p(completion | messages)` in nats, the reply followed by the end of its message.
    func logProbability(messages: [ChatMessage], completion: String) throws -> Double
    /// The continuation of the raw text `prompt` (no chat template), sampled by `options`.
    /// Backends without raw completion keep the default, which throws
    /// ``LanguageModelBackendError/unsupported(_:)``.
    func complete(prompt: String, options: SamplingOptions) throws -> String
}

extension LanguageModelBackend {
    /// Raw completion is optional: by default it is refused.
    public func complete(prompt: String, options: SamplingOptions) throws -> String {
        throw LanguageModelBackendError.unsupported("raw text completion")
    }
}

/// The shape a reply must have: free text, a regular expression (Funnel's subset, matched
/// against the whole reply) or a JSON schema (the subset of ``JSONSchemaPattern``, as JSON text),
/// as OpenAI's `response_format` carries it.
public enum ResponseFormat: Sendable, Hashable {
    case text
    case pattern(String)
    case jsonSchema(String)

    /// The grammar's automaton, `nil` for free text.
    /// - Throws: ``GrammarError`` for unsupported syntax; `jsonSchema` text that is not JSON is
    ///   refused with a ``GrammarError`` at the schema's root.
    public func automaton() throws -> ByteAutomaton? {
        switch self {
        case .text: return nil
        case .pattern(let pattern): return try ByteAutomaton(pattern: pattern)
        case .jsonSchema(let text):
            guard let schema = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
                throw GrammarError(location: .schemaPath("#"), reason: "the schema is not JSON text")
            }
            return try ByteAutomaton(jsonSchema: schema)
        }
    }
}

extension LanguageModel: LanguageModelBackend {
    public func chat(_ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat) throws -> String {
        try chat(messages, options: options, constraint: constraint(for: format)).text
    }

    public func logProbability(messages: [ChatMessage], completion: String) throws -> Double {
        try logProbability(messages: messages, completion: completion, includesEnd: true)
    }

    /// `prompt` tokenised as plain text (control tokens not recognised) and continued.
    public func complete(prompt: String, options: SamplingOptions) throws -> String {
        try generate(prompt: tokenizer.encode(prompt, parseSpecial: false), options: options).text
    }
}
