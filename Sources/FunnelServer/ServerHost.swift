import Foundation
import Hummingbird

/// Runs a Hummingbird router in the background on ``ServerExecutor/shared``: binds, reports the
/// bound port, stops on request. Funnel's servers (``LanguageModelServer``, ``ScoringServer``)
/// keep one each.
final class ServerHost: Sendable {
    /// The address asked for.
    let host: String
    /// The port asked for: 0 lets the system choose a free one.
    let requestedPort: Int
    private let state = State()

    init(host: String, port: Int) {
        self.host = host
        self.requestedPort = port
    }

    /// The bound port once ``start(_:)`` returned, `nil` before and after ``stop()``.
    var port: Int? { state.withLock { $0.port } }

    /// `http://<host>:<port>` once started.
    var url: URL? { port.flatMap { URL(string: "http://\(host):\($0)") } }

    /// Binds and starts serving `router` in the background; returns the bound port.
    /// - Throws: the bind's error (a port in use, an address not of this machine), or when
    ///   already started.
    func start(_ router: Router<BasicRequestContext>, serverName: String) async throws -> Int {
        var application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: requestedPort), serverName: serverName),
            onServerRunning: { [state] channel in
                state.resolve(.success(channel.localAddress?.port ?? 0))
            }
        )
        // Hummingbird logs a stop by cancellation as an error; only real failures should show.
        application.logger.logLevel = .critical
        let server = application
        let state = self.state
        return try await withCheckedThrowingContinuation { continuation in
            let accepted = state.withLock { fields -> Bool in
                guard fields.task == nil else { return false }
                fields.waiter = continuation
                // Off the cooperative pool, so computation elsewhere in the process cannot starve it.
                fields.task = Task(executorPreference: ServerExecutor.shared) {
                    do {
                        try await server.run()
                        state.resolve(.failure(CancellationError()))
                    } catch {
                        state.resolve(.failure(error))
                    }
                }
                return true
            }
            if !accepted { continuation.resume(throwing: ServerHostError(message: "the server is already started")) }
        }
    }

    /// Stops serving and waits until the socket is closed.
    func stop() async {
        let task = state.withLock { fields -> Task<Void, Never>? in
            defer {
                fields.task = nil
                fields.port = nil
            }
            return fields.task
        }
        task?.cancel()
        await task?.value
    }

    /// Waits until the server stops; cancelling the calling task stops it.
    func wait() async {
        let state = self.state
        await withTaskCancellationHandler {
            let task = state.withLock { $0.task }
            await task?.value
        } onCancel: {
            let task = state.withLock { $0.task }
            task?.cancel()
        }
    }

    /// The running server's task and bound port, and the caller of ``start(_:serverName:)``
    /// waiting for it.
    private final class State: @unchecked Sendable {
        struct Fields {
            var task: Task<Void, Never>?
            var port: Int?
            var waiter: CheckedContinuation<Int, any Error>?
        }

        private let lock = NSLock()
        private var fields = Fields()

        func withLock<T>(_ body: (inout Fields) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&fields)
        }

        /// Hands the bind's outcome to the waiting ``start(_:serverName:)`` (once).
        func resolve(_ outcome: Result<Int, any Error>) {
            let waiter = withLock { fields -> CheckedContinuation<Int, any Error>? in
                if case .success(let port) = outcome { fields.port = port }
                defer { fields.waiter = nil }
                return fields.waiter
            }
            waiter?.resume(with: outcome)
        }
    }
}

/// A server started twice.
struct ServerHostError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
