import Foundation
import FunnelData
import FunnelTraining
import Hummingbird

/// What a scoring route answers, before the model's name, checkpoint and step are added.
enum ScoringReply {
    /// `scores[name][row]` for every name, with each name's description.
    case scores(names: [String], descriptions: [String], scores: [String: [Double]], rows: Int)
    /// The best items, best first.
    case ranking([RowScorer.RankedItem])
}

extension ScoringServer {
    /// Reads the body (refused past the size limit), runs `handle` with the serving model,
    /// adds the model's name, checkpoint and step to its object, and counts the request.
    func respond(
        to request: Request, route: String,
        _ handle: @escaping @Sendable (Data, ModelStore.Model) async throws -> ScoringReply
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
            let reply = try await handle(Data(buffer.readableBytesView), model)
            response = Self.response(Self.write(reply, model: model), status: .ok)
        } catch {
            let (status, kind, message) = Self.refusal(error)
            metrics.recordError(kind)
            var text = JSONText()
            text.beginObject()
            text.key("error")
            text.beginObject()
            text.key("message")
            text.string(message)
            text.key("type")
            text.string(kind)
            text.endObject()
            text.endObject()
            response = Self.response(text, status: status)
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

    /// `{"model", "checkpoint", "step", …}` with the reply's fields: `outputs`, `protocol` and
    /// `scores` (one object per row), or `items`.
    static func write(_ reply: ScoringReply, model: ModelStore.Model) -> JSONText {
        var text = JSONText(reservingCapacity: 1024)
        text.beginObject()
        text.key("model")
        text.string(model.scorer.trained.configuration.model.rawValue)
        text.key("checkpoint")
        text.string(model.name)
        text.key("step")
        text.integer(model.step)
        switch reply {
        case .scores(let names, let descriptions, let scores, let rows):
            text.key("outputs")
            text.beginArray()
            for name in names { text.string(name) }
            text.endArray()
            text.key("protocol")
            text.beginObject()
            for (name, description) in zip(names, descriptions) {
                text.key(name)
                text.string(description)
            }
            text.endObject()
            let columns = names.map { scores[$0] ?? [] }
            text.key("scores")
            text.beginArray()
            for row in 0..<rows {
                text.beginObject()
                for (name, column) in zip(names, columns) {
                    text.key(name)
                    text.number(row < column.count ? column[row] : .nan)
                }
                text.endObject()
            }
            text.endArray()
        case .ranking(let items):
            text.key("items")
            text.beginArray()
            for item in items {
                text.beginObject()
                text.key("item")
                text.string(item.item)
                text.key("score")
                text.number(item.score)
                text.endObject()
            }
            text.endArray()
        }
        text.endObject()
        return text
    }

    static func response(_ text: JSONText, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: text.bytes)))
    }
}
