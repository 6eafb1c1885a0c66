/// A model or tokenizer file Funnel refuses to read: the file, the field at fault (a GGUF
/// metadata key, a tensor's name and attribute, a safetensors header path, a vocabulary line)
/// and, where the fault has one, the byte offset or line, with what was expected there.
///
/// Used by every reader of `FunnelLanguage` (GGUF, safetensors, tokenizer files), so a
/// truncated download, an unsupported quantisation type or a missing tokenizer field is
/// reported the same way: `file: field (at byte N): what was found; expected …`.
public struct LanguageFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file's path as given to the reader.
    public var file: String
    /// The field path, e.g. `tokenizer.ggml.merges` or `tensor blk.0.attn_q.weight: type`.
    public var field: String
    /// The byte offset (binary files) or the 1-based line (text files) of the fault, if known.
    public var location: Location?
    /// What was found and what was expected.
    public var reason: String

    /// Where in a file a fault lies.
    public enum Location: Equatable, Sendable {
        case byte(Int)
        case line(Int)
    }

    public init(file: String, field: String, location: Location? = nil, reason: String) {
        self.file = file
        self.field = field
        self.location = location
        self.reason = reason
    }

    public var description: String {
        switch location {
        case .byte(let offset)?: "\(file): \(field) (at byte \(offset)): \(reason)"
        case .line(let line)?: "\(file):\(line): \(field): \(reason)"
        case nil: "\(file): \(field): \(reason)"
        }
    }
}
