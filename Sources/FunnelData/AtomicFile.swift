import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file or folder that could not be written, with the cause in plain words ("the disk is
/// full", "permission denied") rather than a Foundation error dump.
public struct FileWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or folder) that was being written.
    public var path: String
    /// Why, in plain words.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): cannot be written: \(reason)" }
}

/// Writes files so that a reader never sees a partial one: the bytes go to a temporary name in
/// the same folder, are flushed to disk, and the temporary file is renamed over the target.
/// A crash at any moment leaves either the old file or the new one; a failure (a full disk, a
/// read-only folder) removes the temporary file and throws a ``FileWriteError`` naming the file.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { output in output.write(data) }
    }

    /// Streams content into `path` atomically: `body` writes to the temporary file through
    /// `output`. Errors `body` throws itself are passed on unchanged (after the cleanup).
    public static func write(to path: String, _ body: (Output) throws -> Void) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileWriteError(path: path, reason: plainReason(errno: errno))
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        func discard() {
            try? handle.close()
            unlink(temporary)
        }
        let output = Output(handle)
        do {
            try body(output)
        } catch {
            discard()
            throw error
        }
        if let failure = output.failure {
            discard()
            throw FileWriteError(path: path, reason: plainReason(failure))
        }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            discard()
            throw FileWriteError(path: path, reason: plainReason(error))
        }
        guard rename(temporary, path) == 0 else {
            let reason = plainReason(errno: errno)
            unlink(temporary)
            throw FileWriteError(path: path, reason: reason)
        }
    }

    /// Creates `path` and the folders above it, or throws a ``FileWriteError`` in plain words.
    public static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: path, reason: "the folder cannot be created: " + plainReason(error))
        }
    }

    /// Where ``write(to:_:)``'s body writes. A failed write is remembered and later writes are
    /// skipped; ``write(to:_:)`` then throws it, so the body needs no `try` for each write.
    public final class Output {
        let handle: FileHandle
        /// The first write that failed, if any.
        public private(set) var failure: (any Error)?

        init(_ handle: FileHandle) {
            self.handle = handle
        }

        /// Appends `data` (at the current offset).
        public func write(_ data: Data) {
            guard failure == nil, !data.isEmpty else { return }
            do {
                try handle.write(contentsOf: data)
            } catch {
                failure = error
            }
        }

        /// Moves the offset of the next write.
        public func seek(toOffset offset: UInt64) throws {
            try handle.seek(toOffset: offset)
        }
    }

    // MARK: Plain words

    /// An I/O error's cause in plain words: the POSIX error inside a Foundation error when there
    /// is one ("the disk is full" for ENOSPC), else the error's own description.
    public static func plainReason(_ error: any Error) -> String {
        if let error = error as? FileWriteError { return error.reason }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return plainReason(errno: Int32(nsError.code)) }
        if let posix = error as? POSIXError { return plainReason(errno: posix.code.rawValue) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error {
            let underlying = underlying as NSError
            if underlying.domain == NSPOSIXErrorDomain { return plainReason(errno: Int32(underlying.code)) }
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: nsError.code) {
            case .fileWriteOutOfSpace: return plainReason(errno: ENOSPC)
            case .fileWriteVolumeReadOnly: return plainReason(errno: EROFS)
            case .fileWriteNoPermission, .fileReadNoPermission: return plainReason(errno: EACCES)
            case .fileNoSuchFile, .fileReadNoSuchFile: return plainReason(errno: ENOENT)
            case .fileWriteFileExists: return plainReason(errno: EEXIST)
            default: break
            }
        }
        return "\(error)"
    }

    /// `errno`'s meaning in plain words.
    public static func plainReason(errno code: Int32) -> String {
        switch code {
        case ENOSPC: return "the disk is full"
        case EDQUOT: return "the disk quota is exceeded"
        case EFBIG: return "the file is too large for the file system"
        case EROFS: return "the file system is read-only"
        case EACCES, EPERM: return "permission denied"
        case ENOENT: return "the folder does not exist"
        case ENOTDIR: return "a part of the path is not a folder"
        case EISDIR: return "it is a folder"
        case EEXIST: return "a file of that name already exists"
        case EIO: return "an input/output error of the disk"
        case ENAMETOOLONG: return "the name is too long"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
