import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelLanguage

/// The in-process chat model on SmolLM2: a greedy reply, a reply under ECPO's action grammar,
/// and completion log-probabilities through the chat template.
struct LanguageModelTests {
    let question = [ChatMessage(role: "user", content: "What is the capital of France?")]

    @Test(.needsLanguageModels) func answersGreedilyAndStopsAtTheEndOfTheMessage() throws {
        let language = try SharedLanguageModel.get()
        let reply = try language.chat(question, options: SamplingOptions(maxTokens: 24))
        #expect(reply.text.contains("Paris"))
        #expect(reply.finish == .endOfSequence)
        // The prompt is the template's text with its control tokens as single ids.
        let prompt = language.promptTokens(question)
        #expect(prompt.first == 1 && prompt.filter { $0 == 1 }.count == 3)
    }

    @Test(.needsLanguageModels) func aConstrainedReplyObeysTheActionGrammar() throws {
        let language = try SharedLanguageModel.get()
        let constraint = TokenConstraint(automaton: ActionGrammar.automaton, tokenizer: language.tokenizer)
        let messages = [
            ChatMessage(role: "system", content: "You recommend films. Answer with one action: Ask[question], Recommend[titles], Response[text] or Search[query]."),
            ChatMessage(role: "user", content: "I'd like a film for tonight."),
        ]
        let reply = try language.chat(messages, options: SamplingOptions(temperature: 0.7, maxTokens: 40, seed: 3), constraint: constraint)
        #expect(reply.isComplete)
        #expect(ActionGrammar.validate(reply.text))
    }

    @Test(.needsLanguageModels) func theRightAnswerIsMoreLikely() throws {
        let language = try SharedLanguageModel.get()
        let right = try language.logProbability(messages: question, completion: "The capital of France is Paris.")
        let wrong = try language.logProbability(messages: question, completion: "The capital of France is Berlin.")
        #expect(right.isFinite && right < 0 && right > wrong)
        let ids = language.tokenizer.encode("The capital of France is Paris." + ChatTemplate.messageEnd, parseSpecial: true)
        #expect(try language.model.logProbability(prompt: language.promptTokens(question), completion: ids) == right)
    }
}

/// ``LanguageModel`` as a ``LanguageModelBackend``: replies in a required shape.
struct LanguageModelBackendTests {
    @Test(.needsLanguageModels) func repliesObeyAPatternAndAJSONSchema() throws {
        let backend: any LanguageModelBackend = try SharedLanguageModel.get()
        let messages = [ChatMessage(role: "user", content: "Rate the film Alien from 1 to 5 and say why, as JSON.")]
        let options = SamplingOptions(temperature: 0.8, maxTokens: 48, seed: 5)
        let schema = #"{"type": "object", "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 5}, "reason": {"type": "string", "maxLength": 40}}, "required": ["rating", "reason"]}"#
        let json = try backend.chat(messages, options: options, format: .jsonSchema(schema))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((1...5).contains(object["rating"] as? Int ?? 0) && object["reason"] is String)
        let yesNo = try backend.chat(messages, options: options, format: .pattern("(yes|no)"))
        #expect(yesNo == "yes" || yesNo == "no")
        #expect(throws: GrammarError.self) { try backend.chat(messages, options: options, format: .jsonSchema("{not json")) }
        #expect(try backend.logProbability(messages: messages, completion: "4") < 0)
    }

    @Test func theTextFormatHasNoAutomaton() throws {
        #expect(try ResponseFormat.text.automaton() == nil)
        #expect(try ResponseFormat.pattern("a|b").automaton()?.accepts(bytes: Array("b".utf8)) == true)
    }
}
