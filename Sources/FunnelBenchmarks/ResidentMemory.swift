import Foundation

/// The process's resident memory as Linux's `/proc/self/status` reports it, in MiB (0 where there
/// is no `/proc`).
enum ResidentMemory {
    /// The resident set now (`VmRSS`).
    static func current() -> Double {
        field("VmRSS:")
    }

    /// The resident set's high-water mark (`VmHWM`): since the process started, or since the last
    /// ``resetPeak()``.
    static func peak() -> Double {
        field("VmHWM:")
    }

    /// Lowers the high-water mark to the resident set now (writing `5` to
    /// `/proc/self/clear_refs`, Linux 4.0 and later), so that ``peak()`` measures what follows.
    /// - Returns: whether the kernel took it.
    @discardableResult
    static func resetPeak() -> Bool {
        guard let file = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? file.close() }
        do {
            try file.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// A `kB` field of `/proc/self/status`, in MiB.
    private static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let kibibytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }.first ?? 0
            return kibibytes / 1024
        }
        return 0
    }
}
