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
    static var smolLMRandomReference: String { root + "/smollm2-135m-instruct/reference-random.json" }
    static var miniLMRandomReference: String { root + "/all-minilm-l6-v2/reference-random.json" }

    /// The texts and reference ids of a `reference-random.json` in the cache.
    static func randomReference(_ path: String) throws -> [(text: String, ids: [Int32])] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        let rows = try #require(object as? [[String: Any]])
        return try rows.map { (try #require($0["text"] as? String), try ids($0["ids"])) }
    }

    /// Run when the file is there or `CI` is set (then a missing file fails the test);
    /// otherwise print the skip marker that `.ci/run` counts.
    static func shouldRun(_ path: String) -> Bool {
        shouldRun([path])
    }

    /// As ``shouldRun(_:)-(String)``, for tests that need several files.
    static func shouldRun(_ paths: [String]) -> Bool {
        guard let path = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) else { return true }
        if let ci = ProcessInfo.processInfo.environment["CI"], !ci.isEmpty { return true }
        let first = reportedMissing.withLock { $0.insert(path).inserted }
        if first {
            print("SKIPPED-SHARED-DATA: \(path) is absent: run Scripts/tokenizer_reference.py (set CI=1 to make this fail instead)")
        }
        return false
    }

    /// The missing paths already reported, so each is printed once per process.
    private static let reportedMissing = LockedSet()

    final class LockedSet: @unchecked Sendable {
        private let lock = NSLock()
        private var paths: Set<String> = []

        func withLock<Result>(_ body: (inout Set<String>) -> Result) -> Result {
            lock.withLock { body(&paths) }
        }
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
    static func needsCachedModelFile(_ paths: String...) -> Self {
        .enabled("needs \(paths.joined(separator: ", ")) (skipped without them unless CI is set)") {
            TokenizerModelCache.shouldRun(paths)
        }
    }
}
