/// Why a ``LanguageModelBackend`` refused a request.
public enum LanguageModelBackendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The backend does not offer this operation (named).
    case unsupported(String)

    public var description: String {
        switch self {
        case .unsupported(let operation): return "this language-model backend does not support \(operation)"
        }
    }
}
