import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The test suites' HTTP client: one request, its status and body.
public enum HTTPTestClient {
    /// Sends a request and waits on the calling thread.
    public static func sendSynchronously(
        _ url: URL, _ path: String, method: String = "POST", body: String? = nil, timeout: TimeInterval = 60
    ) throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url.appendingPathComponent(path), timeoutInterval: timeout)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.value = error.map { .failure($0) } ?? .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            done.signal()
        }.resume()
        done.wait()
        return try box.value.get()
    }

    /// Sends a request from a thread of its own (``blocking(_:)``).
    public static func send(_ url: URL, _ path: String, method: String = "POST", body: String? = nil) async throws -> (status: Int, body: Data) {
        try await blocking { try sendSynchronously(url, path, method: method, body: body) }
    }

    /// The reply's `error.message` and `error.type`.
    public static func error(_ body: Data) -> (message: String?, type: String?) {
        let object = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? [String: Any]
        return (object?["message"] as? String, object?["type"] as? String)
    }

    /// The reply as a JSON object.
    public static func object(_ body: Data) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: body) as? [String: Any]
    }

    private final class Box: @unchecked Sendable {
        var value: Result<(status: Int, body: Data), any Error> = .failure(CancellationError())
    }
}

/// Runs the blocking `body` on a thread of its own, keeping Swift's cooperative pool free.
///
/// Not on a global dispatch queue: on Linux those share the cooperative pool's threads, so while
/// long synchronous tests hold that pool the body would wait for them, for minutes.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
