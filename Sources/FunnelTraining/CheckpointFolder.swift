import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A checkpoint folder held by one run: created when missing, locked exclusively (a
/// non-blocking `flock` on its file `lock`, which holds the holder's process id) until
/// ``release()`` or deinitialization, and cleared of the temporary files and folders of
/// interrupted writes. A second run on the same folder — another process, or another trainer in
/// this one — is refused while the lock is held; the kernel drops the lock of a killed process.
public final class CheckpointFolder {
    public let directory: String
    /// The name of the lock file inside the folder.
    public static let lockFile = "lock"
    /// The stale temporaries removed when the folder was opened.
    public private(set) var removedTemporaries: [String] = []
    private var descriptor: Int32

    /// Opens and locks a folder, then removes stale temporaries (under the lock, every one is).
    /// - Throws: ``Checkpoint/Error`` when the folder cannot be created or another run holds it.
    public init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Checkpoint.Error(description: "checkpoint folder \(directory): cannot be created: \(error.localizedDescription)")
        }
        let path = directory + "/" + Self.lockFile
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Checkpoint.Error(description: "checkpoint folder \(directory): cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            close(descriptor)
            descriptor = -1
            guard reason == EWOULDBLOCK else {
                throw Checkpoint.Error(description: "checkpoint folder \(directory): cannot lock \(path): \(String(cString: strerror(reason)))")
            }
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw Checkpoint.Error(
                description: "checkpoint folder \(directory) is in use by another run\(holder.isEmpty ? "" : " (process \(holder))"); "
                    + "wait for it to finish, or choose another checkpoint directory")
        }
        let pid = Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        removedTemporaries = Self.removeStaleTemporaries(in: directory, holdingLock: true)
    }

    deinit { release() }

    /// Gives up the lock (the lock file stays).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// The folder's entries besides the lock file.
    public var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != Self.lockFile }.sorted()
    }

    /// Removes the temporary files and folders (`NAME.tmp-PID…`) interrupted writes left: every
    /// one when the caller holds the folder's lock (every writer does), else those whose process
    /// is no longer alive.
    /// - Returns: the names removed.
    @discardableResult
    public static func removeStaleTemporaries(in directory: String, holdingLock: Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names {
            guard let marker = name.range(of: ".tmp-") else { continue }
            if !holdingLock {
                let digits = name[marker.upperBound...].prefix { $0.isNumber }
                guard let pid = Int32(digits), !isAlive(pid) else { continue }
            }
            if (try? FileManager.default.removeItem(atPath: directory + "/" + name)) != nil { removed.append(name) }
        }
        return removed.sorted()
    }

    private static func isAlive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
