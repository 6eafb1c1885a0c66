#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The values of one column: either memory Funnel owns or a region of a memory-mapped cache.
/// Read-only once built; cheap to copy (the memory is shared).
public struct ColumnBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    /// Keeps the memory alive: an ``OwnedMemory`` or a ``MappedFile``.
    private let owner: AnyObject?
    /// The values.
    public let buffer: UnsafeBufferPointer<Element>

    /// Copies `values` into owned memory.
    public init(_ values: [Element]) {
        let memory = OwnedMemory(bytes: values.count * MemoryLayout<Element>.stride)
        let typed = memory.pointer.bindMemory(to: Element.self, capacity: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { typed.initialize(from: base, count: values.count) }
        }
        owner = memory
        buffer = UnsafeBufferPointer(start: values.isEmpty ? nil : typed, count: values.count)
    }

    /// Copies the concatenation of `chunks` into owned memory (one copy, no intermediate array).
    public init(concatenating chunks: [[Element]]) {
        let count = chunks.reduce(0) { $0 + $1.count }
        let memory = OwnedMemory(bytes: count * MemoryLayout<Element>.stride)
        let typed = memory.pointer.bindMemory(to: Element.self, capacity: count)
        var position = 0
        for chunk in chunks {
            chunk.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { (typed + position).initialize(from: base, count: source.count) }
            }
            position += chunk.count
        }
        owner = memory
        buffer = UnsafeBufferPointer(start: count == 0 ? nil : typed, count: count)
    }

    /// Views `count` values at `offset` bytes into a mapped file (the offset must be aligned).
    init(mapped file: MappedFile, offset: Int, count: Int) {
        owner = file
        let base = file.bytes.baseAddress.map { $0 + offset }
        buffer = UnsafeBufferPointer(
            start: count == 0 ? nil : base?.assumingMemoryBound(to: Element.self), count: count)
    }

    public var count: Int { buffer.count }

    public subscript(index: Int) -> Element { buffer[index] }

    /// The values as raw bytes (for writing a cache).
    var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(buffer) }

    /// A copy as an array.
    public var array: [Element] { Array(buffer) }
}

/// Memory allocated for a column, 64-byte aligned, freed with the last buffer using it.
final class OwnedMemory {
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int) {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, Swift.max(bytes, 1)) == 0, let raw else {
            fatalError("Funnel: could not allocate \(bytes) bytes for a column")
        }
        pointer = raw
    }

    deinit { free(pointer) }
}
