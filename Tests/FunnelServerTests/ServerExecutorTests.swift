import Foundation
import FunnelServer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// ``ServerExecutor``: jobs run in order on its own threads, and a server started on it answers
/// while every thread of Swift's cooperative pool is blocked.
struct ServerExecutorTests {
    @Test func runsTasksOnItsOwnThreads() async throws {
        let executor = ServerExecutor(threadCount: 1, name: "funnel.test-executor")
        #expect(!executor.isCurrent)
        let onExecutor = await Task(executorPreference: executor) {
            var onExecutor: [Bool] = []
            for _ in 0..<3 {
                onExecutor.append(executor.isCurrent)
                await Task.yield()
            }
            // Child tasks inherit the preference.
            async let child = executor.isCurrent
            onExecutor.append(await child)
            return onExecutor
        }.value
        #expect(onExecutor == [true, true, true, true])
        #expect(!ServerExecutor.shared.isCurrent)
    }

    @Test func aServerAnswersWhileTheCooperativePoolIsBlocked() async throws {
        let server = LanguageModelServer(backend: EchoBackend(), port: 0)
        try await server.start()
        let url = try #require(server.url).appendingPathComponent("/v1/completions")
        // One blocker per cooperative thread; each holds its thread until the request is answered.
        let width = ProcessInfo.processInfo.activeProcessorCount
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<width {
            Task.detached {
                started.signal()
                release.wait()
            }
        }
        let outcome: Result<Int, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                // Other tests may hold some cooperative threads; then fewer blockers start, and
                // the pool is just as full.
                for _ in 0..<width { _ = started.wait(timeout: .now() + 30) }
                let outcome = Result { try Self.postStatus(url, body: #"{"prompt": "abc"}"#, timeout: 20) }
                for _ in 0..<width { release.signal() }
                continuation.resume(returning: outcome)
            }
        }
        await server.stop()
        #expect(try outcome.get() == 200)
    }

    /// A POST's status, waited for on the calling thread.
    private static func postStatus(_ url: URL, body: String, timeout: TimeInterval) throws -> Int {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<Int, any Error> = .failure(CancellationError())
        URLSession.shared.dataTask(with: request) { _, response, error in
            outcome = error.map { .failure($0) } ?? .success((response as? HTTPURLResponse)?.statusCode ?? 0)
            done.signal()
        }.resume()
        done.wait()
        return try outcome.get()
    }
}
