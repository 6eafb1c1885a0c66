/// A request the server refuses with HTTP 400 and OpenAI's error object
/// `{"error": {"message": …, "type": "invalid_request_error"}}`; the message names the field's
/// path (`messages[1].content`).
struct InvalidRequestError: Error, Sendable, Equatable {
    var message: String

    init(_ message: String) { self.message = message }
}
