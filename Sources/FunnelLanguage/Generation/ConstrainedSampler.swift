import Foundation
import FunnelTensor

/// Chooses tokens from any model's logits (greedy, or temperature with top-p, from a seeded
/// ``RandomGenerator``), optionally under a ``TokenConstraint``, until the end-of-sequence
/// token, a stop sequence or the token limit.
///
/// The model is a closure from the ids so far (prompt and generated) to the next token's
/// logits, so any language model plugs in. Under a constraint the logits of tokens the grammar
/// does not allow are set to −∞ before choosing, so every chosen token keeps the text a prefix
/// of an accepted one, and the end-of-sequence token can only end an accepted text.
/// Deterministic: the same seed, options and logits give the same result.
public struct ConstrainedSampler: Sendable {
    /// Decodes the generated ids and names the end-of-sequence token.
    public let tokenizer: ByteLevelBPETokenizer
    /// The grammar, if any.
    public let constraint: TokenConstraint?
    /// How tokens are chosen and when generation stops.
    public var options: SamplingOptions

    public init(
        tokenizer: ByteLevelBPETokenizer, constraint: TokenConstraint? = nil,
        options: SamplingOptions = SamplingOptions()
    ) {
        self.tokenizer = tokenizer
        self.constraint = constraint
        self.options = options
    }

    /// Generates a continuation of `prompt`.
    /// - Parameter nextLogits: the model: the logits of the next token (one per vocabulary
    ///   id) given all ids so far.
    /// - Throws: what `nextLogits` throws.
    public func generate(prompt: [Int32], nextLogits: ([Int32]) throws -> [Float]) rethrows
        -> GenerationResult
    {
        var generator = RandomGenerator(seed: options.seed)
        var sequence = prompt
        var generated: [Int32] = []
        var states: [Int] = []
        var state = constraint?.initialState ?? 0
        let endOfSequence = constraint?.endOfSequence ?? tokenizer.specialTokens.endOfSequence
        let stops = options.stopSequences.filter { !$0.isEmpty }.map { ($0, Array($0.utf8)) }
        var finish = GenerationResult.Finish.maxTokens
        var cut: Int?

        while generated.count < options.maxTokens {
            var logits = try nextLogits(sequence)
            if let constraint {
                constraint.mask(logits: &logits, state: state)
                states.append(state)
            }
            guard
                let token = Self.chooseToken(
                    logits: logits, temperature: options.temperature, topP: options.topP,
                    generator: &generator)
            else {
                finish = .noAllowedToken
                break
            }
            if let constraint {
                guard let next = constraint.advance(state, token: token) else {
                    finish = .noAllowedToken  // unreachable: masked tokens have −∞ logits
                    break
                }
                state = next
            }
            if token == endOfSequence {
                finish = .endOfSequence
                break
            }
            generated.append(token)
            sequence.append(token)
            if !stops.isEmpty,
                let (stop, end) = Self.firstStop(stops, in: tokenizer.decodedBytes(generated))
            {
                finish = .stopSequence(stop)
                cut = options.includesStopSequence ? end : end - stop.utf8.count
                break
            }
        }
        var bytes = tokenizer.decodedBytes(generated)
        if let cut { bytes.removeSubrange(cut...) }
        let isComplete: Bool
        if let constraint {
            isComplete = constraint.automaton.accepts(bytes: bytes)
        } else {
            isComplete = finish != .maxTokens && finish != .noAllowedToken
        }
        return GenerationResult(
            tokens: generated, text: String(decoding: bytes, as: UTF8.self), finish: finish,
            states: states, isComplete: isComplete)
    }

    /// The earliest-ending stop sequence in `bytes` and the index just past it.
    private static func firstStop(_ stops: [(String, [UInt8])], in bytes: [UInt8]) -> (String, Int)?
    {
        var best: (String, Int)?
        for (stop, pattern) in stops where pattern.count <= bytes.count {
            for start in 0...(bytes.count - pattern.count)
            where bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
                if best.map({ start + pattern.count < $0.1 }) ?? true {
                    best = (stop, start + pattern.count)
                }
                break
            }
        }
        return best
    }

    /// Chooses one id from `logits`; non-finite logits (the masked −∞) are never chosen.
    /// Returns nil when no logit is finite.
    ///
    /// Greedy (`temperature <= 0`): the largest logit, the lowest id on ties. Otherwise the
    /// softmax of `logits / temperature`, restricted to the top-p nucleus (sorted by
    /// probability, ties by id), sampled with one `nextUnitFloat()` draw.
    public static func chooseToken(
        logits: [Float], temperature: Float, topP: Float, generator: inout RandomGenerator
    ) -> Int32? {
        logits.withUnsafeBufferPointer { logits -> Int32? in
            var best = -1
            var largest = -Float.infinity
            for index in 0..<logits.count
            where logits[index].isFinite && (best < 0 || logits[index] > largest) {
                best = index
                largest = logits[index]
            }
            guard best >= 0 else { return nil }
            guard temperature > 0 else { return Int32(best) }
            var weights = [Double](repeating: 0, count: logits.count)
            let total = weights.withUnsafeMutableBufferPointer { weights in
                var total = 0.0
                for index in 0..<logits.count where logits[index].isFinite {
                    let weight = Double(exp((logits[index] - largest) / temperature))
                    weights[index] = weight
                    total += weight
                }
                return total
            }
            if topP < 1 {
                var candidates = (0..<logits.count).filter { weights[$0] > 0 }
                candidates.sort { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
                var kept = 0.0
                var keptCount = 0
                for candidate in candidates {
                    kept += weights[candidate]
                    keptCount += 1
                    if kept >= Double(max(topP, 0)) * total { break }
                }
                let threshold = Double(generator.nextUnitFloat()) * kept
                var running = 0.0
                for candidate in candidates.prefix(keptCount) {
                    running += weights[candidate]
                    if running > threshold { return Int32(candidate) }
                }
                return Int32(candidates[keptCount - 1])
            }
            let threshold = Double(generator.nextUnitFloat()) * total
            return weights.withUnsafeBufferPointer { weights in
                var running = 0.0
                var last = best
                for index in 0..<weights.count where weights[index] > 0 {
                    running += weights[index]
                    last = index
                    if running > threshold { return Int32(index) }
                }
                return Int32(last)
            }
        }
    }
}
