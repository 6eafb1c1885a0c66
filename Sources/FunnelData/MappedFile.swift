#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's bytes, memory-mapped read-only (an empty file maps to an empty buffer).
///
/// Columns loaded from a binary cache point into the mapping, so a cache of any size opens in
/// the time it takes to check it; the mapping lives as long as any column that uses it.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    /// The file's modification time in nanoseconds since 1970 and its size, at opening.
    public let modificationTime: Int64
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `path`, or throws ``DataError/unreadable(path:reason:)``.
    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw DataError.unreadable(path: path, reason: "not a regular file")
        }
        #if canImport(Darwin)
        modificationTime = Int64(status.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(status.st_mtimespec.tv_nsec)
        #else
        modificationTime = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        #endif
        let size = Int(status.st_size)
        if size == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        madvise(address, size, MADV_SEQUENTIAL)
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }
}
