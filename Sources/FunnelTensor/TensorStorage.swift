#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory behind one or more tensors: `count` Float32 values, 64-byte aligned so that the
/// kernels' AVX-512 loads never split a cache line at the start of a buffer.
///
/// Reshapes and `detached()` share a storage; every other operation allocates a new one. Freed
/// buffers go back to a pool keyed by size class, so a training step that repeats the same
/// shapes, or shapes that vary a little (a batch's distinct ids), allocates (almost) nothing
/// from the system once warm.
final class TensorStorage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates uninitialised memory for `count` values.
    init(uninitializedCount count: Int) {
        self.count = count
        pointer = StoragePool.shared.take(count)
    }

    /// Allocates memory holding `count` copies of `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit {
        StoragePool.shared.give(pointer, count: count)
    }

    var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

/// Free buffers by size class, shared by all threads behind a mutex. Bounded: at most
/// `maximumBytes` are kept, and small buffers (cheap to allocate) are not pooled at all.
///
/// A pooled buffer holds its class's capacity: the count rounded up to one of eight steps per
/// power of two (at most 12.5 % more). Keyed by the exact count, tensors whose row count varies
/// from step to step (a batch's distinct ids) would each leave a buffer no later step reuses,
/// until the pool held its whole gigabyte.
final class StoragePool: @unchecked Sendable {
    static let shared = StoragePool()

    private var available: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0
    private var lock = pthread_mutex_t()
    private let maximumBytes = 1 << 30
    private let minimumCount = 1024

    private init() {
        pthread_mutex_init(&lock, nil)
    }

    /// The capacity of `count`'s class: `count` rounded up to a multiple of 1/8 of the power of
    /// two below it.
    static func capacity(_ count: Int) -> Int {
        let step = max(1, (1 << (Int.bitWidth - 1 - count.leadingZeroBitCount)) >> 3)
        return (count + step - 1) / step * step
    }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        var capacity = max(count, 1)
        if count >= minimumCount {
            capacity = Self.capacity(count)
            pthread_mutex_lock(&lock)
            if let pointer = available[capacity]?.popLast() {
                pooledBytes -= capacity * MemoryLayout<Float>.stride
                pthread_mutex_unlock(&lock)
                return pointer
            }
            pthread_mutex_unlock(&lock)
        }
        var raw: UnsafeMutableRawPointer?
        let bytes = capacity * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Funnel: could not allocate \(bytes) bytes for a tensor")
        }
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    /// Frees every pooled buffer.
    func drain() {
        pthread_mutex_lock(&lock)
        let buffers = available
        available = [:]
        pooledBytes = 0
        pthread_mutex_unlock(&lock)
        for pointers in buffers.values {
            for pointer in pointers { free(pointer) }
        }
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count >= minimumCount {
            let capacity = Self.capacity(count)
            let bytes = capacity * MemoryLayout<Float>.stride
            pthread_mutex_lock(&lock)
            if pooledBytes + bytes <= maximumBytes {
                available[capacity, default: []].append(pointer)
                pooledBytes += bytes
                pthread_mutex_unlock(&lock)
                return
            }
            pthread_mutex_unlock(&lock)
        }
        free(pointer)
    }
}

extension Tensor {
    /// Frees the buffers the storage pool keeps for reuse (up to 1 GiB of freed tensors), so
    /// that a memory measurement starts from what is live. Later allocations refill the pool.
    public static func releasePooledStorage() {
        StoragePool.shared.drain()
    }
}
