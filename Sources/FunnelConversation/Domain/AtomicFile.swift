import Foundation

/// Writing a whole file so that readers see the old one or the new one, never a part: the bytes
/// go to a temporary file in the same folder, which is then renamed over the destination.
enum AtomicFile {
    /// - Throws: ``ConversationError`` naming `path` when the file cannot be written or renamed.
    static func write(_ data: Data, to path: String) throws {
        let destination = URL(fileURLWithPath: path)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw ConversationError.file(path, "cannot be written: \(error.localizedDescription)")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ConversationError.file(path, "cannot be replaced: \(reason)")
        }
    }
}
