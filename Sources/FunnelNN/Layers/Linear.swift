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
        self(parts: [input])
    }

    /// `residual + layer(input)`, the residual added where the GEMM adds the bias
    /// (``Tensor/linear(_:weight:bias:adding:)``): a residual connection without a pass of its own.
    ///
    /// Shapes: input `[..., inputDimensions]`, residual `[..., outputDimensions]` → the residual's.
    public func callAsFunction(_ input: Tensor, adding residual: Tensor) -> Tensor {
        guard let bias, inputRecording == nil, residual.shape == Array(input.shape.dropLast()) + [outputDimensions] else {
            return residual + self(input)
        }
        return Tensor.linear(
            input.reshaped([-1, inputDimensions]), weight: weight, bias: bias,
            adding: residual.reshaped([-1, outputDimensions])
        ).reshaped(residual.shape)
    }

    /// The layer followed by `activation`: ReLU and GELU fused into the bias pass
    /// (``Tensor/linear(_:weight:bias:rectified:)``, ``Tensor/linearGELU(_:weight:bias:)``).
    ///
    /// Shapes: input `[..., inputDimensions]` → `[..., outputDimensions]`.
    public func callAsFunction(_ input: Tensor, activation: Activation) -> Tensor {
        switch activation {
        case .relu:
            return self(parts: [input], rectified: true)
        case .gelu:
            guard let bias, inputRecording == nil else { return self(input).gelu() }
            let rows = input.reshaped([-1, inputDimensions])
            return Tensor.linearGELU(rows, weight: weight, bias: bias).reshaped(Array(input.shape.dropLast()) + [outputDimensions])
        case .sigmoid, .tanh, .identity:
            return activation(self(input))
        }
    }

    /// The layer applied to the concatenation of `parts` along their last axis, without
    /// building it (``Tensor/linear(_:weight:bias:rectified:)``): parts that need no gradient
    /// (dense features) cost no input-gradient product. With `rectified`, a ReLU follows, fused
    /// into the bias pass.
    ///
    /// Shapes: parts `[..., inᵢ]` with equal leading dimensions and `Σ inᵢ = inputDimensions`
    /// → `[..., outputDimensions]`.
    public func callAsFunction(parts: [Tensor], rectified: Bool = false) -> Tensor {
        self(parts: parts.map { .rows($0) }, rectified: rectified)
    }

    /// The layer over parts that may store a batch's repeated rows once
    /// (``Tensor/LinearPart/indexed(values:range:inverse:)``): their products are computed per
    /// distinct row. `.indexed` parts are rank 2.
    public func callAsFunction(parts: [Tensor.LinearPart], rectified: Bool = false) -> Tensor {
        precondition(!parts.isEmpty, "Funnel: a linear layer of no parts")
        guard let bias, inputRecording == nil else {
            let input = parts.concatenated
            inputRecording?.latest = input.detached()
            let output = bias.map { bias in
                Tensor.linear([input.reshaped([-1, inputDimensions])], weight: weight, bias: bias)
                    .reshaped(Array(input.shape.dropLast()) + [outputDimensions])
            } ?? Tensor.matmul(input, weight, transposeRight: true)
            return rectified ? output.relu() : output
        }
        guard case .rows(let first) = parts[0], first.rank != 2 else {
            return Tensor.linear(parts, weight: weight, bias: bias, rectified: rectified)
        }
        let leading = Array(first.shape.dropLast())
        let rows = parts.map { part -> Tensor in
            let tensor = part.materialized
            return tensor.rank == 2 ? tensor : tensor.reshaped([-1, tensor.shape[tensor.rank - 1]])
        }
        return Tensor.linear(rows, weight: weight, bias: bias, rectified: rectified).reshaped(leading + [outputDimensions])
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
