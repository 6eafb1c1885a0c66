import Foundation

/// Writes files so that a reader never sees a partial one: the bytes go to a temporary name in
/// the same folder, are flushed to disk, and the temporary file is renamed over the target.
/// A crash at any moment leaves either the old file or the new one.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { handle in handle.write(data) }
    }

    /// Streams content into `path` atomically: `body` writes to the temporary file's handle.
    public static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw DataError.unreadable(path: temporary, reason: "cannot create a file there")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try body(handle)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw DataError.unreadable(path: path, reason: "writing failed: \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DataError.unreadable(path: path, reason: "cannot rename the temporary file: \(reason)")
        }
    }
}
