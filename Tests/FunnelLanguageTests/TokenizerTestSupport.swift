import Foundation
import Testing
@testable import FunnelLanguage

/// Where the tokenizer tests find the real model files: the model cache
/// `${FUNNEL_MODEL_CACHE:-$HOME/.cache/funnel/models}` filled by the fetch script and by
/// `Scripts/tokenizer_reference.py` (which writes `smollm2-135m-instruct/tokenizer-fields.json`).
/// Temporary: to be replaced by the shared `.needsLanguageModels` trait and the GGUF reader.
enum TokenizerModelCache {
    static var root: String {
        if let configured = ProcessInfo.processInfo.environment["FUNNEL_MODEL_CACHE"], !configured.isEmpty {
            return configured
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/funnel/models").path
    }

    static var smolLMFields: String { root + "/smollm2-135m-instruct/tokenizer-fields.json" }
    static var miniLMVocabulary: String { root + "/all-minilm-l6-v2/vocab.txt" }

    /// Run when the file is there or `CI` is set (then a missing file fails the test);
    /// otherwise print the skip marker that `.ci/run` counts.
    static func shouldRun(_ path: String) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return true }
        if let ci = ProcessInfo.processInfo.environment["CI"], !ci.isEmpty { return true }
        print("SKIPPED-SHARED-DATA: \(path) is absent: run Scripts/tokenizer_reference.py (set CI=1 to make this fail instead)")
        return false
    }

    /// The committed reference ids (`Fixtures/tokenizer/<name>.json`).
    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/tokenizer/\(name)", withExtension: "json"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try #require(object as? [String: Any])
    }

    /// Ids from a JSON array of numbers.
    static func ids(_ value: Any?) throws -> [Int32] {
        let numbers = try #require(value as? [NSNumber])
        return numbers.map { Int32(truncating: $0) }
    }
}

extension Trait where Self == ConditionTrait {
    /// For a test that reads a file from the model cache: skipped with a printed
    /// `SKIPPED-SHARED-DATA` reason when the file is absent, unless `CI` is set.
    static func needsCachedModelFile(_ path: String) -> Self {
        .enabled("needs \(path) (skipped without it unless CI is set)") {
            TokenizerModelCache.shouldRun(path)
        }
    }
}
