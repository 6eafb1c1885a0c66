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

    /// Threads used by large operations (1 by default; this machine kind has 2 cores).
    public static var threadCount: Int {
        get { Int(funnel_thread_count()) }
        set { funnel_set_thread_count(Int32(clamping: newValue)) }
    }

    /// The best path this CPU supports.
    public static var detectedPath: Path {
        Path(rawValue: Int(funnel_detected_path().rawValue)) ?? .portable
    }

    /// The path in use; setting a path the CPU lacks falls back to the detected one.
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
