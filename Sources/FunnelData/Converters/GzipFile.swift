import Foundation

/// Reads a gzip-compressed file by running the system's `gzip -dc` (Funnel links no zlib; the
/// `gzip` tool is on every Linux and macOS machine).
enum GzipFile {
    /// Where `gzip` is looked for before falling back to `PATH`.
    static let candidates = [
        "/usr/bin/gzip", "/bin/gzip", "/usr/local/bin/gzip", "/opt/homebrew/bin/gzip",
    ]

    /// The decompressed bytes of the file at `path`.
    static func decompress(_ path: String) throws -> Data {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DataError.unreadable(path: path, reason: "no such readable file")
        }
        let process = Process()
        if let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["-dc", path]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-dc", path]
        }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DataError.unreadable(
                path: path,
                reason: "cannot run gzip to decompress it: \(error.localizedDescription)")
        }
        // Read before waiting: a full pipe would otherwise block gzip forever.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: message, as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            throw DataError.unreadable(
                path: path,
                reason: "gzip -dc failed (status \(process.terminationStatus)): \(reason)")
        }
        return data
    }
}
