import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

@Suite struct ConstrainedSamplerTests {
    @Test func greedyFollowsTheLargestAllowedLogit() throws {
        let tokenizer = try GrammarTestVocabulary.tiny()
        let constraint = TokenConstraint(automaton: ActionGrammar.automaton, tokenizer: tokenizer)
        // The model always prefers "]]" (never allowed: it would close twice), and "Which" at the
        // start (not allowed before "Ask["); otherwise it follows a script. Greedy decoding takes
        // the best allowed token each step.
        let eos = try #require(tokenizer.specialTokens.endOfSequence)
        let script = [
            GrammarTestVocabulary.id("Ask["), GrammarTestVocabulary.id("Which"),
            GrammarTestVocabulary.id(" genre"),
            GrammarTestVocabulary.id("?]"), eos,
        ]
        let prompt: [Int32] = [1, 2]
        let model = { (ids: [Int32]) -> [Float] in
            var logits = [Float](repeating: 0, count: tokenizer.vocabularySize)
            let step = max(ids.count - prompt.count, 0)
            logits[Int(script[min(step, script.count - 1)])] = 10
            logits[Int(GrammarTestVocabulary.id("]]"))] = 20
            if step == 0 { logits[Int(GrammarTestVocabulary.id("Which"))] = 15 }
            return logits
        }
        let sampler = ConstrainedSampler(
            tokenizer: tokenizer, constraint: constraint, options: SamplingOptions(maxTokens: 10))
        let result = sampler.generate(prompt: prompt, nextLogits: model)
        #expect(result.text == "Ask[Which genre?]")
        #expect(result.finish == .endOfSequence)
        #expect(result.isComplete)
        #expect(ActionGrammar.validate(result.text))

        let free = ConstrainedSampler(tokenizer: tokenizer, options: SamplingOptions(maxTokens: 3))
            .generate(prompt: [], nextLogits: model)
        #expect(
            free.tokens == [
                GrammarTestVocabulary.id("]]"), GrammarTestVocabulary.id("]]"),
                GrammarTestVocabulary.id("]]"),
            ])
        #expect(free.finish == .maxTokens)
        #expect(!free.isComplete)
    }

    @Test func samplingIsDeterministicPerSeedAndRespectsTopP() throws {
        var generator = RandomGenerator(seed: 1)
        let logits: [Float] = [0, 1, 2, 3, -.infinity, .nan]
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<4000 {
            let id = try #require(
                ConstrainedSampler.chooseToken(
                    logits: logits, temperature: 1, topP: 1, generator: &generator))
            counts[Int(id)] += 1
        }
        #expect(counts[4] == 0 && counts[5] == 0)
        let expected = [0, 1, 2, 3].map { exp(Double($0)) / (1 + exp(1) + exp(2) + exp(3)) * 4000 }
        for index in 0..<4 {
            #expect(
                abs(Double(counts[index]) - expected[index]) < 5 * expected[index].squareRoot() + 5)
        }
        // top-p 0.5: only the largest (p ≈ 0.64 alone reaches 0.5).
        for _ in 0..<200 {
            #expect(
                ConstrainedSampler.chooseToken(
                    logits: logits, temperature: 1, topP: 0.5, generator: &generator) == 3)
        }
        #expect(
            ConstrainedSampler.chooseToken(
                logits: [-.infinity, .nan], temperature: 1, topP: 1, generator: &generator) == nil)
        #expect(
            ConstrainedSampler.chooseToken(
                logits: [1, 5, 5], temperature: 0, topP: 1, generator: &generator) == 1)

        let tokenizer = try GrammarTestVocabulary.tiny()
        let constraint = TokenConstraint(automaton: ActionGrammar.automaton, tokenizer: tokenizer)
        func run(seed: UInt64) -> GenerationResult {
            var model = RandomLogitsModel(vocabularySize: tokenizer.vocabularySize, seed: 9)
            let options = SamplingOptions(temperature: 0.8, topP: 0.9, maxTokens: 24, seed: seed)
            return ConstrainedSampler(
                tokenizer: tokenizer, constraint: constraint, options: options
            ).generate(prompt: []) { _ in model.next() }
        }
        #expect(run(seed: 3) == run(seed: 3))
        #expect(run(seed: 3).tokens != run(seed: 4).tokens)
    }

    @Test func stopSequencesCutTheTextAndECPOReappendsTheBracket() throws {
        let tokenizer = try GrammarTestVocabulary.tiny()
        let script: [Int32] = [
            GrammarTestVocabulary.id("Ask["), GrammarTestVocabulary.id("Which"),
            GrammarTestVocabulary.id("?]"), 65,
        ]
        func model(_ ids: [Int32]) -> [Float] {
            var logits = [Float](repeating: 0, count: tokenizer.vocabularySize)
            logits[Int(script[min(ids.count, script.count - 1)])] = 50
            return logits
        }
        let plain = ConstrainedSampler(
            tokenizer: tokenizer, options: SamplingOptions(stopSequences: ["?"])
        ).generate(prompt: [], nextLogits: model)
        #expect(plain.text == "Ask[Which")
        #expect(plain.finish == .stopSequence("?"))
        #expect(plain.isComplete)
        let constraint = TokenConstraint(automaton: ActionGrammar.automaton, tokenizer: tokenizer)
        let ecpo = ConstrainedSampler(
            tokenizer: tokenizer, constraint: constraint, options: ActionGrammar.samplingOptions()
        ).generate(prompt: [], nextLogits: model)
        #expect(ecpo.text == "Ask[Which?]")
        #expect(ecpo.finish == .stopSequence("]"))
        #expect(ecpo.isComplete && ActionGrammar.validate(ecpo.text))
        #expect(ActionGrammar.samplingOptions(attempt: 2).temperature == 0.6)
        #expect(
            ActionGrammar.samplingOptions().stopSequences == ["]"]
                && ActionGrammar.samplingOptions().includesStopSequence)
    }

    @Test func hittingMaxTokensBeforeAcceptingIsReported() throws {
        let tokenizer = try GrammarTestVocabulary.tiny()
        let constraint = TokenConstraint(automaton: ActionGrammar.automaton, tokenizer: tokenizer)
        // ties: lowest id
        let model = { (_: [Int32]) in [Float](repeating: 0, count: tokenizer.vocabularySize) }
        let result = ConstrainedSampler(
            tokenizer: tokenizer, constraint: constraint, options: SamplingOptions(maxTokens: 5)
        ).generate(prompt: [], nextLogits: model)
        #expect(result.finish == .maxTokens)
        #expect(!result.isComplete)
        #expect(result.tokens.count == 5)
        #expect(!ActionGrammar.validate(result.text))
        #expect(result.text.hasPrefix("A"))

        let dead = ConstrainedSampler(tokenizer: tokenizer, constraint: constraint).generate(
            prompt: []) { _ in
                var logits = [Float](repeating: 0, count: tokenizer.vocabularySize)
                for id in constraint.allowedTokens(constraint.initialState) {
                    logits[Int(id)] = -.infinity
                }
                return logits
            }
        #expect(dead.finish == .noAllowedToken && !dead.isComplete && dead.tokens.isEmpty)
    }

    // MARK: The property test on the real vocabulary

    private func propertyRun(
        automaton: ByteAutomaton, options: SamplingOptions, prompts: Int = 200,
        valid: (String) -> Bool
    ) throws -> (finished: Int, cut: Int) {
        let tokenizer = try GrammarTestVocabulary.smolLM2.get()
        let constraint = TokenConstraint(automaton: automaton, tokenizer: tokenizer)
        let eos = try #require(tokenizer.specialTokens.endOfSequence)
        var finished = 0, cut = 0
        for seed in 0..<UInt64(prompts) {
            var model = RandomLogitsModel(vocabularySize: tokenizer.vocabularySize, seed: seed)
            var sampler = ConstrainedSampler(
                tokenizer: tokenizer, constraint: constraint, options: options)
            sampler.options.seed = seed
            let prompt = (0..<Int(seed % 7)).map {
                Int32(($0 * 7919 + Int(seed) * 104_729) % tokenizer.vocabularySize)
            }
            let result = sampler.generate(prompt: prompt) { _ in model.next() }
            let chosen = result.tokens + (result.finish == .endOfSequence ? [eos] : [])
            #expect(chosen.count == result.states.count, "seed \(seed)")
            for (state, token) in zip(result.states, chosen) {
                #expect(
                    constraint.allowedTokens(state).contains(token),
                    "seed \(seed): token \(token) in state \(state)")
            }
            switch result.finish {
            case .endOfSequence, .stopSequence:
                finished += 1
                #expect(result.isComplete, "seed \(seed)")
                #expect(
                    automaton.accepts(result.text) && valid(result.text),
                    "seed \(seed): \(result.text.debugDescription)")
                // The text is the tokens' own bytes (cut at the stop sequence, kept as ECPO does).
                let decoded = tokenizer.decodedBytes(result.tokens)
                #expect(decoded.starts(with: Array(result.text.utf8)), "seed \(seed)")
                if result.finish == .endOfSequence { #expect(automaton.accepts(bytes: decoded)) }
            case .maxTokens:
                cut += 1
                #expect(result.tokens.count == options.maxTokens)
                #expect(
                    result.isComplete
                        == automaton.accepts(bytes: tokenizer.decodedBytes(result.tokens)))
            case .noAllowedToken:
                Issue.record("seed \(seed): no allowed token under a live grammar")
            }
        }
        return (finished, cut)
    }

    @Test(.needsLanguageModels)
    func randomModelUnderTheActionGrammarOnlyProducesValidActions() throws {
        let options = SamplingOptions(temperature: 1, maxTokens: 64)
        let counts = try propertyRun(
            automaton: ActionGrammar.automaton, options: options, valid: ActionGrammar.validate)
        print("action grammar: \(counts.finished) of 200 finished, \(counts.cut) cut at 64 tokens")
        let stopped = try propertyRun(
            automaton: ActionGrammar.automaton,
            options: ActionGrammar.samplingOptions(attempt: 3, maxTokens: 64), prompts: 50,
            valid: ActionGrammar.validate)
        print(
            "action grammar with ECPO's stop \"]\": \(stopped.finished) of 50 finished, \(stopped.cut) cut"
        )
        #expect(counts.finished > 0 && stopped.finished > 0)
    }

    @Test(.needsLanguageModels)
    func randomModelUnderAJSONSchemaOnlyProducesValidDocuments() throws {
        let options = SamplingOptions(temperature: 1, maxTokens: 64)
        let counts = try propertyRun(
            automaton: try ByteAutomaton(jsonSchema: GrammarTestVocabulary.raterSchema),
            options: options
        ) { text in
            guard
                let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8)))
                    as? [String: Any],
                let reason = object["reason"] as? String, let rating = object["rating"] as? Int,
                let tags = object["tags"] as? [String]
            else { return false }
            return reason.count <= 12 && (0...5).contains(rating) && object["liked"] is Bool
                && tags.count <= 2
                && tags.allSatisfy(["plot", "style", "pace"].contains)
        }
        print("JSON schema: \(counts.finished) of 200 finished, \(counts.cut) cut at 64 tokens")
        #expect(counts.finished > 100)
    }
}
