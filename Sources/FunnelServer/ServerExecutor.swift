import Foundation

/// A task executor with its own kernel threads, on which a server's asynchronous code (accepting
/// connections, reading bodies, routing, writing replies) runs.
///
/// Swift's shared cooperative pool has one thread per core; code that computes for minutes on
/// it (a training run in the same process, or long synchronous tests running in parallel) would
/// otherwise leave a server unable to answer even a health check. Tasks started with this
/// executor as their preference (`Task(executorPreference:)`), and every child task they create,
/// run here instead. Jobs are taken first in, first out by ``threadCount`` threads that live as
/// long as the process (so an executor is made once: ``shared`` serves every server).
public final class ServerExecutor: TaskExecutor, @unchecked Sendable {
    /// The executor Funnel's servers run on: two threads, enough for the light work between
    /// reading a request and handing its computation to a worker.
    public static let shared = ServerExecutor(threadCount: 2)

    /// The number of threads running jobs.
    public let threadCount: Int

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    /// Starts `threadCount` threads (at least one) named `name`.
    public init(threadCount: Int = 2, name: String = "funnel.server") {
        self.threadCount = max(1, threadCount)
        for index in 0..<self.threadCount {
            Thread.detachNewThread {
                Thread.current.name = "\(name).\(index)"
                Thread.current.threadDictionary[Self.threadKey] = ObjectIdentifier(self)
                self.runJobs()
            }
        }
    }

    /// Whether the calling thread is one of this executor's (as NIO's `inEventLoop`).
    public var isCurrent: Bool {
        Thread.current.threadDictionary[Self.threadKey] as? ObjectIdentifier == ObjectIdentifier(self)
    }

    private static let threadKey = "funnel.server-executor"

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Each thread's loop: waits for a job and runs it on this executor.
    private func runJobs() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            // Compact once the consumed prefix dominates, so the queue's memory stays bounded.
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
