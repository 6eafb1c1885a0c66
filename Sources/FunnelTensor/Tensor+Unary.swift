import CFunnelKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Element-wise functions. The kernels are stable for any finite input: exp saturates to 0 or
// +inf, softplus and log-sigmoid never form exp of a large positive number, and sigmoid never
// divides by an overflowed value.

extension Tensor {
    /// Applies a unary kernel; `backward(outputGradient, output)` gives the input's gradient.
    func unary(
        _ operation: funnel_unary_op, backward: @escaping (Tensor, Tensor) -> Tensor
    ) -> Tensor {
        let output = Tensor.uninitialized(shape)
        funnel_unary(operation, storage.pointer, output.storage.pointer, count)
        // The closure keeps the values, never the output itself: the output holds the closure.
        let values = output.detached()
        return Tensor.result(output, inputs: [self]) { gradient in
            [backward(gradient, values)]
        }
    }

    /// e^x; subnormal results flush to 0.
    public func exp() -> Tensor {
        unary(FUNNEL_UNARY_EXP) { gradient, output in gradient * output }
    }

    /// Natural logarithm: −inf at 0, NaN below 0.
    public func log() -> Tensor {
        unary(FUNNEL_UNARY_LOG) { gradient, _ in gradient / self.detached() }
    }

    public func sqrt() -> Tensor {
        unary(FUNNEL_UNARY_SQRT) { gradient, output in gradient / (output * 2) }
    }

    /// |x|; the gradient at 0 is 0.
    public func abs() -> Tensor {
        unary(FUNNEL_UNARY_ABS) { gradient, _ in gradient * self.detached().sign() }
    }

    /// −1, 0 or 1 (no gradient).
    public func sign() -> Tensor {
        let output = Tensor.uninitialized(shape)
        funnel_unary(FUNNEL_UNARY_SIGN, storage.pointer, output.storage.pointer, count)
        return output
    }

    /// max(x, 0); the gradient at 0 is 0.
    public func relu() -> Tensor {
        unary(FUNNEL_UNARY_RELU) { gradient, output in
            Broadcast.binary(FUNNEL_BINARY_PASS_WHERE_POSITIVE, gradient, output)
        }
    }

    /// 1 / (1 + e^−x).
    public func sigmoid() -> Tensor {
        unary(FUNNEL_UNARY_SIGMOID) { gradient, output in
            Broadcast.binary(FUNNEL_BINARY_SIGMOID_BACKWARD, gradient, output)
        }
    }

    public func tanh() -> Tensor {
        unary(FUNNEL_UNARY_TANH) { gradient, output in gradient * (1 - output * output) }
    }

    /// GELU, tanh approximation (Hendrycks & Gimpel, arXiv 1606.08415):
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, one pass forward and one backward.
    public func gelu() -> Tensor {
        let input = detached()
        return unary(FUNNEL_UNARY_GELU) { gradient, _ in
            Broadcast.binary(FUNNEL_BINARY_GELU_BACKWARD, gradient, input)
        }
    }

    /// log(1 + e^x), computed as max(x, 0) + log1p(e^−|x|).
    public func softplus() -> Tensor {
        unary(FUNNEL_UNARY_SOFTPLUS) { gradient, _ in gradient * self.detached().sigmoid() }
    }

    /// log σ(x) = −softplus(−x), finite for any finite x.
    public func logSigmoid() -> Tensor {
        unary(FUNNEL_UNARY_LOG_SIGMOID) { gradient, _ in gradient * (-self.detached()).sigmoid() }
    }

    /// Limits every value to [minimum, maximum]; the gradient passes where the input lies
    /// inside the closed interval (as PyTorch).
    public func clamped(min minimum: Float = -.infinity, max maximum: Float = .infinity) -> Tensor {
        precondition(minimum <= maximum, "Funnel: clamp with min \(minimum) > max \(maximum)")
        let output = Tensor.uninitialized(shape)
        funnel_clamp(storage.pointer, output.storage.pointer, count, minimum, maximum)
        return Tensor.result(output, inputs: [self]) { gradient in
            let input = self.detached()
            return [gradient * (input .>= minimum) * (input .<= maximum)]
        }
    }
}

extension Tensor {
    /// log(1 − eˣ) for x ≤ 0: `log(−expm1(x))` above −ln 2 and `log1p(−eˣ)` below, accurate on
    /// both sides (Mächler 2012). With x = log p it gives log(1 − p) without forming 1 − p, as
    /// products of probabilities need (entire-space.md §0, convention 2). NaN for x > 0.
    public func log1mexp() -> Tensor {
        let output = Tensor.uninitialized(shape)
        for index in 0..<count {
            let value = Double(storage.pointer[index])
            let result = value > -0.6931471805599453 ? logarithm(-expm1(value)) : log1p(-exponential(value))
            output.storage.pointer[index] = Float(result)
        }
        // d/dx log(1 − eˣ) = −eˣ / (1 − eˣ) = −1 / expm1(−x).
        return Tensor.result(output, inputs: [self]) { gradient in
            let input = self.detached()
            let denominator = Tensor.uninitialized(self.shape)
            for index in 0..<self.count {
                denominator.storage.pointer[index] = Float(expm1(-Double(input.storage.pointer[index])))
            }
            return [-gradient / denominator]
        }
    }
}

// The C library's functions, under names that Tensor's own `log()` and `exp()` do not shadow.
private func logarithm(_ value: Double) -> Double {
    #if canImport(Glibc)
    Glibc.log(value)
    #else
    Darwin.log(value)
    #endif
}

private func exponential(_ value: Double) -> Double {
    #if canImport(Glibc)
    Glibc.exp(value)
    #else
    Darwin.exp(value)
    #endif
}

extension Tensor {
    /// The sign bits of each row of a rank-2 tensor, packed 64 a word: bit j of row r (word
    /// j / 64, position j % 64) is 1 where the value is > 0 (0 for 0 and NaN). SimHash
    /// signatures of projected vectors; no gradient.
    ///
    /// Shapes: `[rows, bits]` → `rows · ⌈bits / 64⌉` words, row-major.
    public func positiveSignBits() -> (words: [UInt64], wordsPerRow: Int) {
        precondition(rank == 2, "Funnel: sign bits of a tensor of shape \(shape)")
        let (rows, bits) = (shape[0], shape[1])
        let perRow = (bits + 63) / 64
        let words = [UInt64](unsafeUninitializedCapacity: rows * perRow) { words, count in
            funnel_sign_bits(storage.pointer, rows, bits, words.baseAddress!)
            count = rows * perRow
        }
        return (words, perRow)
    }
}
