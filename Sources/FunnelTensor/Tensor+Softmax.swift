import CFunnelKernels

extension Tensor {
    /// exp(x − max) / Σ exp(x − max) along `axis`; stable for any finite input.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        normalized(alongAxis: axis, logarithm: false)
    }

    /// x − logΣexp(x) along `axis`, computed without forming the softmax (finite for any
    /// finite input, even where the softmax underflows to 0).
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        normalized(alongAxis: axis, logarithm: true)
    }

    private func normalized(alongAxis axis: Int, logarithm: Bool) -> Tensor {
        let axis = normalizedAxis(axis)
        if axis != rank - 1 {
            return transposed(axis, -1).normalized(alongAxis: -1, logarithm: logarithm)
                .transposed(axis, -1)
        }
        let output = Tensor.uninitialized(shape)
        let columns = shape.last ?? 1
        if count > 0 {
            funnel_softmax(
                storage.pointer, output.storage.pointer, count / columns, columns, logarithm ? 1 : 0)
        }
        let values = output.detached()
        return Tensor.result(output, inputs: [self]) { gradient in
            let output = values
            if logarithm {
                return [gradient - output.exp() * gradient.sum(alongAxes: [-1], keepingDimensions: true)]
            }
            let projection = (gradient * output).sum(alongAxes: [-1], keepingDimensions: true)
            return [output * (gradient - projection)]
        }
    }
}
