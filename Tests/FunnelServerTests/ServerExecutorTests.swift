import Foundation
import FunnelServer
import FunnelTestSupport
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
        let url = try #require(server.url)
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
                let outcome = Result {
                    try HTTPTestClient.sendSynchronously(url, "/v1/completions", body: #"{"prompt": "abc"}"#, timeout: 20).status
                }
                for _ in 0..<width { release.signal() }
                continuation.resume(returning: outcome)
            }
        }
        await server.stop()
        #expect(try outcome.get() == 200)
    }
}
