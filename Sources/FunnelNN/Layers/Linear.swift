import FunnelTensor

/// An affine map `y = x·Wᵀ + b`.
///
/// Shapes: input `[..., inputDimensions]`, output `[..., outputDimensions]`; `weight` is
/// `[outputDimensions, inputDimensions]` (read transposed by the GEMM, never copied) and `bias`
/// `[outputDimensions]`. Initialised as PyTorch's `nn.Linear` by default (uniform in ±1/√in for
/// both), so that results can be compared with PyTorch references.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    /// Where the layer keeps its latest input, detached (`nil`: nowhere): ReLoop2 reads a
    /// model's hidden representation there (adaptation.md §2.1).
    public var inputRecording: InputRecording?

    public init(
        _ inputDimensions: Int, _ outputDimensions: Int, bias: Bool = true,
        initializer: Initializer = .fanInUniform, generator: inout RandomGenerator
    ) {
        weight = initializer.make(
            [outputDimensions, inputDimensions], fanIn: inputDimensions, fanOut: outputDimensions,
            using: &generator)
        self.bias = bias
            ? Initializer.fanInUniform.make(
                [outputDimensions], fanIn: inputDimensions, fanOut: outputDimensions, using: &generator)
            : nil
        super.init()
    }

    public var inputDimensions: Int { weight.shape[1] }
    public var outputDimensions: Int { weight.shape[0] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        inputRecording?.latest = input.detached()
        guard let bias else { return Tensor.matmul(input, weight, transposeRight: true) }
        if input.rank == 2 { return Tensor.linear(input, weight: weight, bias: bias) }
        let rows = input.reshaped([-1, inputDimensions])
        return Tensor.linear(rows, weight: weight, bias: bias).reshaped(Array(input.shape.dropLast()) + [outputDimensions])
    }
}

/// An element-wise non-linearity.
public enum Activation: String, Sendable, Codable, CaseIterable, StrictEnum {
    case relu, sigmoid, tanh, identity
    /// GELU, tanh approximation (Hendrycks & Gimpel, arXiv 1606.08415).
    case gelu

    public func callAsFunction(_ input: Tensor) -> Tensor {
        switch self {
        case .relu: return input.relu()
        case .sigmoid: return input.sigmoid()
        case .tanh: return input.tanh()
        case .identity: return input
        case .gelu: return input.gelu()
        }
    }
}

/// The latest input of a ``Linear`` layer that records it (``Linear/inputRecording``).
public final class InputRecording: @unchecked Sendable {
    /// `[n, inputDimensions]` (or the layer's input shape), detached from the graph.
    public var latest: Tensor?

    public init() {}
}
