/// One message of a chat.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user` or `assistant`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A model's chat prompt format, recognised from its GGUF `tokenizer.chat_template` (a Jinja
/// template, which Funnel does not interpret: it recognises the format by its markers and
/// renders it natively).
///
/// Known today: ChatML, each message as `<|im_start|>{role}\n{content}<|im_end|>\n`, and
/// the generation prompt `<|im_start|>assistant\n`. SmolLM2's template inserts a default
/// system message before the first message when that is not a system message; its text is
/// read from the template's `'<|im_start|>system\n…<|im_end|>` literal.
public struct ChatTemplate: Sendable, Equatable {
    /// The formats Funnel renders.
    public enum Style: Sendable, Equatable {
        case chatML
    }

    public var style: Style
    /// The system message inserted when a chat does not start with one (nil: none).
    public var defaultSystemMessage: String?

    public static let messageStart = "<|im_start|>"
    public static let messageEnd = "<|im_end|>"

    public init(style: Style = .chatML, defaultSystemMessage: String? = nil) {
        self.style = style
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// Recognises the format of a Jinja chat template.
    /// - Throws: ``LanguageFileError`` naming `tokenizer.chat_template` when the template is
    ///   not ChatML (it lacks `<|im_start|>`, `<|im_end|>` or the role/content pattern), or
    ///   when it tests for a missing system message but holds no default system text.
    public init(recognising template: String, file: String) throws {
        let field = "tokenizer.chat_template"
        guard template.contains(Self.messageStart), template.contains(Self.messageEnd),
              template.contains("message['role']") || template.contains("message.role"),
              template.contains("message['content']") || template.contains("message.content")
        else {
            throw LanguageFileError(file: file, field: field, reason: "an unrecognised chat template; expected ChatML (<|im_start|>{role}\\n{content}<|im_end|>\\n)")
        }
        let addsDefaultSystem = template.contains("!= 'system'") || template.contains("!= \"system\"")
        var defaultSystem: String?
        if addsDefaultSystem {
            // The template's literal is written with `\n` escapes inside a Jinja string.
            let opening = [Self.messageStart + "system\\n", Self.messageStart + "system\n"]
            guard let start = opening.lazy.compactMap({ template.range(of: $0) }).first,
                  let end = template.range(of: Self.messageEnd, range: start.upperBound..<template.endIndex)
            else {
                throw LanguageFileError(file: file, field: field, reason: "the template adds a system message when none is given, but holds no '<|im_start|>system\\n…<|im_end|>' text")
            }
            defaultSystem = Self.unescapeJinjaString(String(template[start.upperBound..<end.lowerBound]))
        }
        self.init(style: .chatML, defaultSystemMessage: defaultSystem)
    }

    /// Recognises the format of `gguf`'s `tokenizer.chat_template`.
    /// - Throws: ``LanguageFileError`` naming the file and `metadata[tokenizer.chat_template]`
    ///   when the key is missing or not a string, or naming `tokenizer.chat_template` when the
    ///   template is not recognised (see ``init(recognising:file:)``).
    public init(gguf: GGUFFile) throws {
        try self.init(recognising: gguf.string(TokenizerFields.Key.chatTemplate), file: gguf.path)
    }

    /// The prompt text for `messages`, ending with the generation prompt when asked.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var prompt = ""
        if let defaultSystemMessage, let first = messages.first, first.role != "system" {
            prompt += Self.messageStart + "system\n" + defaultSystemMessage + Self.messageEnd + "\n"
        }
        for message in messages {
            prompt += Self.messageStart + message.role + "\n" + message.content + Self.messageEnd + "\n"
        }
        if addGenerationPrompt {
            prompt += Self.messageStart + "assistant\n"
        }
        return prompt
    }

    /// Undoes the escapes of a single-quoted Jinja string literal (`\n`, `\t`, `\'`, `\\`).
    static func unescapeJinjaString(_ literal: String) -> String {
        var result = ""
        var escaping = false
        for character in literal {
            if escaping {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
