/// A failed request to an OpenAI-compatible server: the transport failed (`status` nil), the
/// server answered with an HTTP error status (and the message of its `error` object when it sent
/// one), or its body was not the JSON expected.
public struct OpenAICompatibleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status, `nil` when no response came back.
    public var status: Int?
    /// What went wrong: the server's `error.message`, or a description of the failure.
    public var message: String

    public init(status: Int?, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String {
        if let status { return "HTTP \(status): \(message)" }
        return message
    }
}
