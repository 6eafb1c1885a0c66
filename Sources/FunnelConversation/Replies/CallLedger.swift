import Foundation
import FunnelLanguage

/// How many language-model calls each role made and the seconds they took, so a report can
/// give the calls per dialogue (conversational.md §4, `O(M + N)` for ActCRS) and split a run's
/// time into model time and the pipeline's own overhead. Thread-safe.
public final class CallLedger: @unchecked Sendable {
    // @unchecked: every access to `entries` holds `lock`.
    /// One role's totals.
    public struct Entry: Codable, Sendable, Equatable {
        public var calls: Int = 0
        public var seconds: Double = 0
        public init(calls: Int = 0, seconds: Double = 0) {
            self.calls = calls
            self.seconds = seconds
        }
    }

    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    public init() {}

    /// Adds one call of `role` that took `seconds`.
    public func record(role: String, seconds: Double) {
        lock.withLock {
            entries[role, default: Entry()].calls += 1
            entries[role, default: Entry()].seconds += seconds
        }
    }

    /// The totals so far, by role.
    public var snapshot: [String: Entry] { lock.withLock { entries } }

    /// Every role's calls added up.
    public var totalCalls: Int { snapshot.values.reduce(0) { $0 + $1.calls } }

    /// Every role's seconds added up.
    public var totalSeconds: Double { snapshot.values.reduce(0) { $0 + $1.seconds } }

    /// The change from `earlier` to now, by role (roles without calls since are left out).
    public func difference(since earlier: [String: Entry]) -> [String: Entry] {
        var result: [String: Entry] = [:]
        for (role, entry) in snapshot {
            let before = earlier[role] ?? Entry()
            if entry.calls > before.calls {
                result[role] = Entry(calls: entry.calls - before.calls, seconds: entry.seconds - before.seconds)
            }
        }
        return result
    }
}

/// A language model playing one part of the pipeline (policy, simulator, rewriter or judge),
/// with the name a report prints for it and the ledger its calls are counted in.
public struct RoleBackend: Sendable {
    /// The model behind the role.
    public let backend: any LanguageModelBackend
    /// What the report names it (a file name or a served model's name).
    public let modelName: String
    /// Where calls are counted.
    public let ledger: CallLedger

    public init(backend: any LanguageModelBackend, modelName: String, ledger: CallLedger) {
        self.backend = backend
        self.modelName = modelName
        self.ledger = ledger
    }

    /// ``LanguageModelBackend/chat(_:options:format:)``, timed and counted under `role`.
    public func chat(
        role: String, _ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat = .text
    ) throws -> String {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            ledger.record(role: role, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return try backend.chat(messages, options: options, format: format)
    }
}
