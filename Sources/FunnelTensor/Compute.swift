import CFunnelKernels

/// Process-wide settings of the CPU kernels: how many threads large operations split across
/// and which instruction set they use. Results depend only on the inputs and the thread count.
public enum Compute {
    /// The instruction-set paths the kernels are compiled for.
    public enum Path: Int, CaseIterable, Sendable, CustomStringConvertible {
        case portable = 0, avx2 = 1, avx512 = 2

        public var description: String {
            String(cString: funnel_path_name(funnel_cpu_path(rawValue: UInt32(rawValue))))
        }
    }

    /// Whether ``Tensor/concurrently(_:_:)-(_,[([Tensor])->[Tensor]])``'s branches run their forward passes one after
    /// the other, in branch order, on the calling thread (their backward passes still run side
    /// by side). A distributed run whose embedding tables are split over the ranks sets it: a
    /// branch's lookups exchange rows with the other ranks, and every rank must make its
    /// exchanges in the same order, from one thread (MPI is not initialised for concurrent calls).
    nonisolated(unsafe) public static var branchesRunInOrder = false

    /// Threads used by large operations (1 by default; this machine kind has 2 cores).
    public static var threadCount: Int {
        get { Int(funnel_thread_count()) }
        set { funnel_set_thread_count(Int32(clamping: newValue)) }
    }

    /// The best path this CPU supports.
    public static var detectedPath: Path {
        Path(rawValue: Int(funnel_detected_path().rawValue)) ?? .portable
    }

    /// The path the calling thread uses; setting a path the CPU lacks falls back to the detected
    /// one.
    public static var path: Path {
        get { Path(rawValue: Int(funnel_active_path().rawValue)) ?? .portable }
        set { funnel_set_path(funnel_cpu_path(rawValue: UInt32(newValue.rawValue))) }
    }

    /// Runs `body` with the given thread count and restores the previous one.
    public static func withThreads<Result>(_ count: Int, _ body: () throws -> Result) rethrows
        -> Result
    {
        let previous = threadCount
        threadCount = count
        defer { threadCount = previous }
        return try body()
    }
}

extension Compute {
    /// Runs `body(task)` for every task in `0 ..< tasks` on the kernels' thread pool (the caller
    /// takes part) and returns when all are done. Tasks must write disjoint memory; which thread
    /// runs which task does not matter to the result.
    public static func parallelFor(tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 1, threadCount > 1 else {
            for task in 0..<tasks { body(task) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var box = TaskBox(body: body)
            withUnsafeMutablePointer(to: &box) { pointer in
                funnel_parallel_for(tasks, { context, task in
                    context!.assumingMemoryBound(to: TaskBox.self).pointee.body(task)
                }, pointer)
            }
        }
    }

    /// The [begin, end) range of task `task` when `count` items are split into `tasks` tasks.
    public static func range(of task: Int, tasks: Int, count: Int) -> Range<Int> {
        let base = count / tasks
        let extra = count % tasks
        let begin = task * base + Swift.min(task, extra)
        return begin..<(begin + base + (task < extra ? 1 : 0))
    }
}

private struct TaskBox {
    let body: (Int) -> Void
}
