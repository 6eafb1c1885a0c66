import Foundation

/// Runs an HTTP server from a synchronous command until it stops: starts it, prints its
/// announcement (unbuffered, so that a script reading a pipe sees the URL at once), serves, and
/// rethrows what stopped it.
enum ServingLoop {
    static func run(
        start: @escaping @Sendable () async throws -> Void, announcement: @escaping @Sendable () -> String,
        serve: @escaping @Sendable () async throws -> Void
    ) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = Failure()
        Task {
            do {
                try await start()
                FileHandle.standardOutput.write(Data((announcement() + "\n").utf8))
                try await serve()
            } catch {
                failure.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw error }
    }

    /// The serving task's error, read after its semaphore signalled.
    private final class Failure: @unchecked Sendable {
        var error: (any Error)?
    }
}
