import Foundation
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

@Suite struct ChatTemplateTests {
    /// SmolLM2-135M-Instruct's `tokenizer.chat_template`, as stored in its GGUF.
    static let smolLMTemplate = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func recognisesChatMLAndItsDefaultSystemMessage() throws {
        let template = try ChatTemplate(recognising: Self.smolLMTemplate, file: "m.gguf")
        #expect(template.style == .chatML)
        #expect(template.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }

    @Test func rendersMessagesAndTheGenerationPrompt() throws {
        let template = try ChatTemplate(recognising: Self.smolLMTemplate, file: "m.gguf")
        let withDefault = template.render([ChatMessage(role: "user", content: "Hi")])
        #expect(withDefault == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        let withSystem = template.render([ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false)
        #expect(withSystem == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
        #expect(template.render([], addGenerationPrompt: false) == "")
    }

    @Test func aPlainChatMLTemplateAddsNoSystemMessage() throws {
        let plain = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        let template = try ChatTemplate(recognising: plain, file: "m.gguf")
        #expect(template.defaultSystemMessage == nil)
        #expect(template.render([ChatMessage(role: "user", content: "x")], addGenerationPrompt: false) == "<|im_start|>user\nx<|im_end|>\n")
    }

    @Test func refusesAnUnrecognisedTemplate() {
        let llama3 = "{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] }}<|eot_id|>{% endfor %}"
        do {
            _ = try ChatTemplate(recognising: llama3, file: "llama.gguf")
            Issue.record("a Llama 3 template was taken for ChatML")
        } catch let error as LanguageFileError {
            #expect(error.field == "tokenizer.chat_template")
            #expect(error.file == "llama.gguf")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(.needsLanguageModels)
    func smolLMChatPromptIdsMatchTheReference() throws {
        let gguf = try GGUFFile(path: LanguageModels.smolLM2GGUF)
        let fields = try TokenizerFields(gguf: gguf)
        #expect(fields.chatTemplate == Self.smolLMTemplate)
        let template = try ChatTemplate(gguf: gguf)
        #expect(template.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let tokenizer = try ByteLevelBPETokenizer(fields: fields)
        let chats = try #require(try TokenizerReference.object("smollm2-reference")["chats"] as? [[String: Any]])
        #expect(chats.count == 2)
        for chat in chats {
            let messages = try #require(chat["messages"] as? [[String: String]]).map {
                ChatMessage(role: $0["role"] ?? "", content: $0["content"] ?? "")
            }
            let prompt = template.render(messages, addGenerationPrompt: true)
            #expect(prompt == chat["prompt"] as? String)
            #expect(tokenizer.encode(prompt) == (try TokenizerReference.ids(chat["ids"])))
        }
    }
}
