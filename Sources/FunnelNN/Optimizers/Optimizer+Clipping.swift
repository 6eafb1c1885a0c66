import FunnelTensor

extension Optimizer {
    /// Scales the gradients of `parameters` so that their global L2 norm is at most
    /// `maximumNorm` (Pascanu et al., ICML 2013); returns the norm before clipping. Row-sparse
    /// gradients count with duplicate rows summed. ``clipGradientNorm(_:)`` and
    /// ``OptimizerGroups/clipGradientNorm(_:)`` both clip through this function.
    @discardableResult
    public static func clipGradientNorm(of parameters: [Tensor], to maximumNorm: Float) -> Float {
        var squares = 0.0
        for parameter in parameters {
            parameter.gradient?.withUnsafeBufferPointer { values in
                for value in values { squares += Double(value) * Double(value) }
            }
            if let sparse = parameter.sparseGradient {
                for value in sparse.coalesced().values { squares += Double(value) * Double(value) }
            }
        }
        let norm = Float(squares.squareRoot())
        guard norm > maximumNorm, norm > 0 else { return norm }
        let scale = maximumNorm / norm
        for parameter in parameters {
            parameter.gradient?.withUnsafeMutableBufferPointer { values in
                for index in values.indices { values[index] *= scale }
            }
            parameter.sparseGradient?.scale(by: scale)
        }
        return norm
    }

    /// Scales this optimizer's gradients so that their global L2 norm is at most `maximumNorm`;
    /// returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(_ maximumNorm: Float) -> Float {
        Self.clipGradientNorm(of: parameters, to: maximumNorm)
    }
}
