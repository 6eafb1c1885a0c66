import Foundation
import FunnelLanguage

/// A deterministic stand-in for a language model: replies with the last message's content
/// (prefixed), scores every completion `-1.25 × its length`, and records the last format it got.
final class EchoBackend: LanguageModelBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var formats: [ResponseFormat] = []
    private var samplings: [SamplingOptions] = []

    /// The formats of the chat requests so far.
    var receivedFormats: [ResponseFormat] { lock.withLock { formats } }
    /// The sampling options of the requests so far.
    var receivedOptions: [SamplingOptions] { lock.withLock { samplings } }

    func chat(_ messages: [ChatMessage], options: SamplingOptions, format: ResponseFormat) throws -> String {
        lock.withLock {
            formats.append(format)
            samplings.append(options)
        }
        return "echo(\(messages.count)): \(messages.last?.content ?? "")"
    }

    func logProbability(messages: [ChatMessage], completion: String) throws -> Double {
        -1.25 * Double(completion.count) - 0.1
    }

    func complete(prompt: String, options: SamplingOptions) throws -> String {
        String(prompt.reversed())
    }
}
