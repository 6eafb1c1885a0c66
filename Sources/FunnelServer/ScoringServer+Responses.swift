import Foundation
import FunnelData
import Hummingbird

extension ScoringServer {
    /// Reads the body (refused past the size limit), runs `handle` with the serving model,
    /// adds the model's name, checkpoint and step to its object, and counts the request.
    func respond(
        to request: Request, route: String,
        _ handle: @escaping @Sendable (Data, ModelStore.Model) async throws -> [String: Any]
    ) async -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            var request = request
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: limits.maximumBodyBytes)
            } catch {
                throw ScoringLimitError(message: "the body is larger than \(limits.maximumBodyBytes) bytes")
            }
            // A request holds the model it started with: a reload cannot change it midway.
            let model = store.model
            var object = try await handle(Data(buffer.readableBytesView), model)
            object["model"] = model.scorer.trained.configuration.model.rawValue
            object["checkpoint"] = model.name
            object["step"] = model.step
            response = Self.json(object, status: .ok)
        } catch {
            let (status, kind, message) = Self.refusal(error)
            metrics.recordError(kind)
            response = Self.json(["error": ["message": message, "type": kind]], status: status)
        }
        let elapsed = ContinuousClock.now - start
        metrics.recordRequest(
            route: route, status: Int(response.status.code),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        return response
    }

    /// The status, error kind and message of a refusal.
    static func refusal(_ error: any Error) -> (HTTPResponse.Status, String, String) {
        switch error {
        case let error as InvalidRequestError: return (.badRequest, "invalid_request", error.message)
        case let error as RowEncodingError: return (.badRequest, "invalid_request", error.description)
        case let error as ScoringLimitError: return (.contentTooLarge, "too_large", error.message)
        case ScoringRefusal.busy(let rows):
            return (.serviceUnavailable, "busy", "the server is busy (\(rows) rows waiting to be scored); retry shortly")
        case ScoringRefusal.timeout: return (.serviceUnavailable, "timeout", "the request waited too long to be scored; retry shortly")
        default: return (.internalServerError, "server_error", "\(error)")
        }
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status) -> Response {
        let data = (try? ExactNumber.serialize(object)) ?? Data(#"{"error": {"message": "the reply could not be written", "type": "server_error"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
