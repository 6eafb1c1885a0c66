#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory behind one or more tensors: `count` Float32 values, 64-byte aligned so that the
/// kernels' AVX-512 loads never split a cache line at the start of a buffer.
///
/// Reshapes and `detached()` share a storage; every other operation allocates a new one. Freed
/// buffers go back to a pool keyed by size, so a training step that repeats the same shapes
/// allocates (almost) nothing from the system once warm.
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

/// Free buffers by element count, shared by all threads behind a mutex. Bounded: at most
/// `maximumBytes` are kept, and small buffers (cheap to allocate) are not pooled at all.
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

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= minimumCount {
            pthread_mutex_lock(&lock)
            if let pointer = available[count]?.popLast() {
                pooledBytes -= count * MemoryLayout<Float>.stride
                pthread_mutex_unlock(&lock)
                return pointer
            }
            pthread_mutex_unlock(&lock)
        }
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Funnel: could not allocate \(bytes) bytes for a tensor")
        }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
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
        let bytes = count * MemoryLayout<Float>.stride
        if count >= minimumCount {
            pthread_mutex_lock(&lock)
            if pooledBytes + bytes <= maximumBytes {
                available[count, default: []].append(pointer)
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
