import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

@Suite struct TokenConstraintTests {
    @Test func tinyVocabularyMasksMatchBruteForceInEveryState() throws {
        let tokenizer = try GrammarTestVocabulary.tiny()
        let schema: [String: Any] = [
            "type": "object", "required": ["ok"], "properties": ["ok": ["type": "boolean"]],
        ]
        for automaton in [
            ActionGrammar.automaton, try ByteAutomaton(pattern: "(é|e)[^\\]]{0,3}"),
            try ByteAutomaton(jsonSchema: schema),
        ] {
            let constraint = TokenConstraint(automaton: automaton, tokenizer: tokenizer)
            for state in 0..<automaton.stateCount {
                let expected = GrammarTestVocabulary.bruteForceAllowed(
                    automaton, state: state, tokenizer: tokenizer)
                #expect(constraint.allowedTokens(state) == expected, "state \(state)")
            }
        }
    }

    @Test func actionGrammarMaskAndAdvance() throws {
        let tokenizer = try GrammarTestVocabulary.tiny()
        let constraint = TokenConstraint(automaton: ActionGrammar.automaton, tokenizer: tokenizer)
        let eos = try #require(tokenizer.specialTokens.endOfSequence)
        let start = constraint.initialState
        let allowed = constraint.allowedTokens(start)
        #expect(allowed.contains(GrammarTestVocabulary.id("Ask")))
        #expect(allowed.contains(GrammarTestVocabulary.id("Ask[")))
        #expect(allowed.contains(GrammarTestVocabulary.id("Rec")))
        #expect(allowed.contains(Int32(UInt8(ascii: "S"))))
        #expect(!allowed.contains(Int32(UInt8(ascii: "a"))))
        #expect(!allowed.contains(GrammarTestVocabulary.id("Which")))
        #expect(!allowed.contains(eos))
        #expect(!allowed.contains(eos - 1))  // <|im_start|>: control tokens never
        #expect(
            Set(allowed)
                == Set(
                    [
                        65, 82, 83, GrammarTestVocabulary.id("Ask"),
                        GrammarTestVocabulary.id("Ask["), GrammarTestVocabulary.id("Rec"),
                    ].map { Int32($0) }))

        var state = try #require(constraint.advance(start, token: GrammarTestVocabulary.id("Ask[")))
        // "Ask[?]" is an action
        #expect(constraint.allowedTokens(state).contains(GrammarTestVocabulary.id("?]")))
        #expect(!constraint.allowedTokens(state).contains(93))  // "Ask[]" is not
        #expect(!constraint.allowedTokens(state).contains(GrammarTestVocabulary.id("[Wh")))
        state = try #require(constraint.advance(state, token: GrammarTestVocabulary.id("Which")))
        #expect(constraint.allowedTokens(state).contains(GrammarTestVocabulary.id("é")))
        #expect(!constraint.allowedTokens(state).contains(GrammarTestVocabulary.id("]]")))
        #expect(constraint.advance(state, token: GrammarTestVocabulary.id("]]")) == nil)
        #expect(constraint.advance(state, token: eos) == nil)
        state = try #require(constraint.advance(state, token: GrammarTestVocabulary.id("?]")))
        #expect(constraint.isAccepting(state))
        #expect(Array(constraint.allowedTokens(state)) == [eos])
        #expect(constraint.advance(state, token: eos) == state)

        var logits = [Float](repeating: 1, count: tokenizer.vocabularySize + 2)
        constraint.mask(logits: &logits, state: state)
        #expect(logits.indices.filter { logits[$0].isFinite } == [Int(eos)])
    }

    @Test func partialUTF8TokensAreAllowedOnlyWhereTheyCanBeCompleted() throws {
        let tokenizer = try GrammarTestVocabulary.tiny()
        let constraint = TokenConstraint(
            automaton: try ByteAutomaton(pattern: "[é日]"), tokenizer: tokenizer)
        let allowed = constraint.allowedTokens(constraint.initialState)
        #expect(Set(allowed) == [0xC3, 0xE6, GrammarTestVocabulary.id("é")])
        let afterLead = try #require(constraint.advance(constraint.initialState, token: 0xC3))
        #expect(Set(constraint.allowedTokens(afterLead)) == [0xA9])
    }

    @Test(.needsLanguageModels)
    func realVocabularyPrecomputationIsFastAndExact() throws {
        let tokenizer = try GrammarTestVocabulary.smolLM2.get()
        let schema = GrammarTestVocabulary.raterSchema
        for (name, automaton) in [
            ("action", ActionGrammar.automaton), ("json", try ByteAutomaton(jsonSchema: schema)),
        ] {
            let clock = ContinuousClock()
            var constraint: TokenConstraint?
            var visited: [Int] = []
            let elapsed = clock.measure {
                let built = TokenConstraint(automaton: automaton, tokenizer: tokenizer)
                // The initial state, then the states along an accepted text.
                let text =
                    name == "action"
                    ? "Ask[Which genre?]"
                    : #"{"reason":"ok","rating":4,"liked":true,"tags":["plot"]}"#
                var state = built.initialState
                visited.append(state)
                _ = built.allowedTokens(state)
                for byte in text.utf8 {
                    guard let next = automaton.next(state, byte: byte) else { break }
                    state = next
                    visited.append(state)
                    _ = built.allowedTokens(state)
                }
                constraint = built
            }
            let built = try #require(constraint)
            print(
                "TokenConstraint \(name): trie + \(built.cachedStateCount) of \(automaton.stateCount) states in \(elapsed)"
            )
            #expect(elapsed < .seconds(5))
            for state in Set(visited).sorted().prefix(6) {
                #expect(
                    built.allowedTokens(state)
                        == GrammarTestVocabulary.bruteForceAllowed(
                            automaton, state: state, tokenizer: tokenizer))
            }
        }
    }
}
