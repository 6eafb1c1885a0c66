import Foundation
import FunnelLanguage
import FunnelTestSupport
import Testing

/// `config.json` parsing of ``BertConfiguration``: all-MiniLM-L6-v2's file and the refusals.
@Suite struct BertConfigurationTests {
    /// all-MiniLM-L6-v2's `config.json` fields (Hugging Face), as a dictionary to edit.
    static var miniLMFields: [String: Any] {
        [
            "architectures": ["BertModel"], "hidden_act": "gelu", "hidden_size": 384,
            "intermediate_size": 1536,
            "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
            "num_attention_heads": 12,
            "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute",
            "type_vocab_size": 2,
            "vocab_size": 30522,
        ]
    }

    static func parse(_ fields: [String: Any]) throws -> BertConfiguration {
        try BertConfiguration(
            json: JSONSerialization.data(withJSONObject: fields), file: "config.json")
    }

    /// The field a refusal names.
    static func refusedField(_ fields: [String: Any]) -> String? {
        do {
            _ = try parse(fields)
            return nil
        } catch let error as LanguageFileError {
            return error.field
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func parsesMiniLMConfiguration() throws {
        let configuration = try Self.parse(Self.miniLMFields)
        #expect(configuration == .miniLM)
        #expect(configuration.headWidth == 32)
    }

    @Test(.needsLanguageModels) func readsTheRealConfigurationFile() throws {
        #expect(try BertConfiguration(file: LanguageModels.miniLMConfiguration) == .miniLM)
    }

    @Test func refusesAMissingFieldNamingIt() {
        for key in [
            "model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings", "type_vocab_size", "vocab_size", "layer_norm_eps",
        ] {
            var fields = Self.miniLMFields
            fields[key] = nil
            #expect(Self.refusedField(fields) == key, "\(key)")
        }
    }

    @Test func refusesAnotherModelType() throws {
        var fields = Self.miniLMFields
        fields["model_type"] = "roberta"
        #expect(Self.refusedField(fields) == "model_type")
        do {
            _ = try Self.parse(fields)
        } catch let error as LanguageFileError {
            #expect(error.description == "config.json: model_type: is roberta; expected bert")
        }
    }

    @Test func refusesMistypedAndInconsistentFields() {
        let cases: [(String, Any)] = [
            ("hidden_size", "384"), ("hidden_size", 0), ("vocab_size", -1),
            ("num_hidden_layers", 1.5),
            ("layer_norm_eps", "tiny"), ("layer_norm_eps", 0), ("hidden_act", "relu"),
            ("hidden_act", 1),
            ("position_embedding_type", "relative_key"), ("num_attention_heads", 7),
        ]
        for (key, value) in cases {
            var fields = Self.miniLMFields
            fields[key] = value
            #expect(Self.refusedField(fields) == key, "\(key) = \(value)")
        }
        #expect(throws: LanguageFileError.self) { try BertConfiguration(json: Data("[1]".utf8)) }
        #expect(throws: LanguageFileError.self) {
            try BertConfiguration(file: "/nonexistent/config.json")
        }
    }
}
