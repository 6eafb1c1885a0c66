import FunnelLanguage

/// Turns texts into fixed-width vectors for retrieval (conversational.md §2.1: items are
/// encoded with all-MiniLM-L6-v2). An interface so that tests can use a small deterministic
/// embedder and a run can swap in another model.
public protocol TextEmbedder: Sendable {
    /// The width of every embedding.
    var dimension: Int { get }
    /// One embedding of ``dimension`` values per text, in the order of the texts.
    func embed(_ texts: [String]) -> [[Float]]
}

/// FunnelLanguage's MiniLM sentence embedder (384 values, L2-normalised).
extension SentenceEmbedder: TextEmbedder {}
