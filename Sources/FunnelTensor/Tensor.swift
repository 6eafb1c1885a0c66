/// An n-dimensional array of Float32 values in row-major order, the one value type of Funnel's
/// engine, with reverse-mode automatic differentiation.
///
/// A tensor has an explicit `shape` (`[]` is a scalar). Element-wise operations broadcast as
/// NumPy does: shapes are aligned from the right and a dimension of 1 stretches. Operations on a
/// tensor that `requiresGradient` record how they were computed while gradients are enabled
/// (see ``withoutGradients(_:)``); ``backward()`` then fills ``gradient`` on every leaf.
///
/// Tensors are reference types: a parameter is updated in place by an optimizer and every model
/// that holds it sees the change.
public final class Tensor {
    /// The extent of each dimension; the product is ``count``.
    public let shape: [Int]
    // A variable only so that the backward pass can ask whether it is shared
    // (`isKnownUniquelyReferenced`); it is never reassigned.
    var storage: TensorStorage
    /// The accumulated gradient of the last ``backward()`` calls, for a tensor that requires one.
    public var gradient: Tensor?
    /// The accumulated row-sparse gradient of an embedding table read through
    /// ``embeddingLookup(_:)``.
    public var sparseGradient: RowSparseGradient?
    /// Whether operations on this tensor are recorded for differentiation.
    public var requiresGradient: Bool
    /// How this tensor was computed, for the backward pass; `nil` for a leaf.
    var node: GradientNode?

    init(shape: [Int], storage: TensorStorage) {
        precondition(
            shape.allSatisfy { $0 >= 0 }, "Funnel: negative dimension in shape \(shape)")
        precondition(
            Tensor.count(of: shape) == storage.count,
            "Funnel: shape \(shape) needs \(Tensor.count(of: shape)) values, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGradient = false
    }

    /// Creates a tensor of the given shape from row-major values.
    /// - Parameters:
    ///   - shape: the dimensions; their product must equal `scalars.count`.
    ///   - scalars: the values in row-major order.
    ///   - requiresGradient: whether this leaf takes part in differentiation.
    public convenience init(shape: [Int], scalars: [Float], requiresGradient: Bool = false) {
        precondition(
            Tensor.count(of: shape) == scalars.count,
            "Funnel: shape \(shape) needs \(Tensor.count(of: shape)) values, got \(scalars.count)")
        let storage = TensorStorage(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer {
            storage.pointer.initialize(from: $0.baseAddress!, count: scalars.count)
        }
        self.init(shape: shape, storage: storage)
        self.requiresGradient = requiresGradient
    }

    /// A one-dimensional tensor of shape `[scalars.count]`.
    public convenience init(_ scalars: [Float], requiresGradient: Bool = false) {
        self.init(shape: [scalars.count], scalars: scalars, requiresGradient: requiresGradient)
    }

    /// A scalar tensor of shape `[]`.
    public convenience init(_ scalar: Float, requiresGradient: Bool = false) {
        self.init(shape: [], scalars: [scalar], requiresGradient: requiresGradient)
    }

    /// A tensor of the given shape with every value equal to `value`.
    public convenience init(shape: [Int], repeating value: Float, requiresGradient: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(count: Tensor.count(of: shape), repeating: value))
        self.requiresGradient = requiresGradient
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 0, requiresGradient: requiresGradient)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 1, requiresGradient: requiresGradient)
    }

    /// A new tensor whose memory the caller fills; for operations and kernels.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(uninitializedCount: count(of: shape)))
    }

    /// The number of values.
    public var count: Int { storage.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The values in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }

    /// The single value of a tensor with one element.
    public var scalar: Float {
        precondition(count == 1, "Funnel: `scalar` of a tensor of shape \(shape)")
        return storage.pointer[0]
    }

    /// Reads the values in place.
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Writes the values in place (optimizers, loaders). Every tensor sharing the storage — a
    /// reshape or a `detached()` copy — sees the change; recorded gradients do not.
    public func withUnsafeMutableBufferPointer<Result>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try body(storage.buffer)
    }

    /// A new tensor with a copy of the values and no gradient history.
    public func copy() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.storage.pointer.update(from: storage.pointer, count: count)
        return result
    }

    /// The product of a shape's dimensions.
    static func count(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Normalises a possibly negative axis (−1 is the last) and checks it.
    func normalizedAxis(_ axis: Int, rank: Int? = nil) -> Int {
        let rank = rank ?? self.rank
        let normalized = axis < 0 ? axis + rank : axis
        precondition(
            normalized >= 0 && normalized < rank,
            "Funnel: axis \(axis) out of range for a tensor of shape \(shape)")
        return normalized
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars.prefix(16).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(values)\(count > 16 ? ", …" : "")])"
    }
}
