/// How ``ConstrainedSampler`` chooses tokens and when it stops.
public struct SamplingOptions: Sendable, Equatable {
    /// 0 (or below) chooses greedily (the largest logit, the lowest id on ties); above 0 the
    /// logits are divided by it before the softmax.
    public var temperature: Float
    /// Nucleus sampling: only the most probable tokens whose probabilities first reach this
    /// total are kept (1 keeps all). Ignored when greedy.
    public var topP: Float
    /// The most tokens to generate (the end-of-sequence token not counted).
    public var maxTokens: Int
    /// Generation stops once the generated text contains one of these (matched on bytes).
    public var stopSequences: [String]
    /// Whether the returned text keeps the stop sequence that ended it (ECPO re-appends its
    /// `]`); otherwise the text ends just before it.
    public var includesStopSequence: Bool
    /// The seed of the sampling generator: the same seed, options and logits give the same
    /// tokens.
    public var seed: UInt64

    public init(
        temperature: Float = 0, topP: Float = 1, maxTokens: Int = 256, stopSequences: [String] = [],
        includesStopSequence: Bool = false, seed: UInt64 = 0
    ) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stopSequences = stopSequences
        self.includesStopSequence = includesStopSequence
        self.seed = seed
    }
}

/// What ``ConstrainedSampler/generate(prompt:nextLogits:)`` produced and why it stopped.
public struct GenerationResult: Sendable, Equatable {
    /// Why generation stopped.
    public enum Finish: Sendable, Equatable {
        /// The end-of-sequence token was chosen.
        case endOfSequence
        /// The generated text reached this stop sequence.
        case stopSequence(String)
        /// ``SamplingOptions/maxTokens`` tokens were generated first.
        case maxTokens
        /// No token was allowed with a finite logit (a model that gave −∞ or NaN to every
        /// token the grammar allows).
        case noAllowedToken
    }

    /// The generated ids, without the end-of-sequence token.
    public var tokens: [Int32]
    /// The generated text (cut at a stop sequence as ``SamplingOptions/includesStopSequence``
    /// says).
    public var text: String
    /// Why generation stopped.
    public var finish: Finish
    /// With a constraint, the constraint state before each chosen token (the end-of-sequence
    /// token included), for auditing; empty without one.
    public var states: [Int]
    /// Whether the output is complete: with a constraint, whether its automaton accepts
    /// ``text``; without one, whether generation ended by the end-of-sequence token or a stop
    /// sequence. A run cut by ``Finish/maxTokens`` under a grammar that has not reached an
    /// accepting state is reported here as incomplete, never passed off as valid.
    public var isComplete: Bool
}

extension ActionGrammar {
    /// Sampling options for the CRA as ECPO runs it: the stop sequence `]` kept in the text,
    /// retry `attempt` (0 first) at temperature `0.3 * attempt`.
    public static func samplingOptions(attempt: Int = 0, maxTokens: Int = 128, seed: UInt64 = 0)
        -> SamplingOptions
    {
        SamplingOptions(
            temperature: 0.3 * Float(max(attempt, 0)), maxTokens: maxTokens,
            stopSequences: [stopSequence],
            includesStopSequence: true, seed: seed)
    }
}
