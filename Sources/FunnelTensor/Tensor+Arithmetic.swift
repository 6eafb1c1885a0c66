import CFunnelKernels

// Element-wise binary operations with broadcasting. Each primitive's backward sits beside its
// forward; gradients of broadcast operands are summed back to the operand's shape.

extension Tensor {
    public static func + (left: Tensor, right: Tensor) -> Tensor {
        result(Broadcast.binary(FUNNEL_BINARY_ADD, left, right), inputs: [left, right]) { gradient in
            [gradient.sum(toShape: left.shape), gradient.sum(toShape: right.shape)]
        }
    }

    public static func - (left: Tensor, right: Tensor) -> Tensor {
        result(Broadcast.binary(FUNNEL_BINARY_SUB, left, right), inputs: [left, right]) { gradient in
            [gradient.sum(toShape: left.shape), (-gradient).sum(toShape: right.shape)]
        }
    }

    public static func * (left: Tensor, right: Tensor) -> Tensor {
        result(Broadcast.binary(FUNNEL_BINARY_MUL, left, right), inputs: [left, right]) { gradient in
            [
                left.requiresGradient ? (gradient * right).sum(toShape: left.shape) : nil,
                right.requiresGradient ? (gradient * left).sum(toShape: right.shape) : nil,
            ]
        }
    }

    public static func / (left: Tensor, right: Tensor) -> Tensor {
        result(Broadcast.binary(FUNNEL_BINARY_DIV, left, right), inputs: [left, right]) { gradient in
            [
                left.requiresGradient ? (gradient / right).sum(toShape: left.shape) : nil,
                right.requiresGradient
                    ? (-gradient * left / (right * right)).sum(toShape: right.shape) : nil,
            ]
        }
    }

    public static prefix func - (value: Tensor) -> Tensor {
        value.unary(FUNNEL_UNARY_NEG) { gradient, _ in -gradient }
    }

    public static func + (left: Tensor, right: Float) -> Tensor { left + Tensor(right) }
    public static func + (left: Float, right: Tensor) -> Tensor { Tensor(left) + right }
    public static func - (left: Tensor, right: Float) -> Tensor { left - Tensor(right) }
    public static func - (left: Float, right: Tensor) -> Tensor { Tensor(left) - right }
    public static func * (left: Tensor, right: Float) -> Tensor { left * Tensor(right) }
    public static func * (left: Float, right: Tensor) -> Tensor { Tensor(left) * right }
    public static func / (left: Tensor, right: Float) -> Tensor { left / Tensor(right) }
    public static func / (left: Float, right: Tensor) -> Tensor { Tensor(left) / right }

    /// `self` raised to a constant power; d/dx = p·x^(p−1).
    public func pow(_ exponent: Float) -> Tensor {
        switch exponent {
        case 1: return self * 1
        case 2: return unary(FUNNEL_UNARY_SQUARE) { gradient, _ in gradient * self * 2 }
        case 0.5: return sqrt()
        default:
            return Tensor.result(
                Broadcast.binary(FUNNEL_BINARY_POW, self, Tensor(exponent)), inputs: [self]
            ) { gradient in
                [gradient * self.detached().pow(exponent - 1) * exponent]
            }
        }
    }

    /// Element-wise `base^exponent` for a positive base; d/dexponent = base^exponent·log(base).
    public static func pow(_ base: Tensor, _ exponent: Tensor) -> Tensor {
        let output = Broadcast.binary(FUNNEL_BINARY_POW, base, exponent)
        let values = output.detached()
        return result(output, inputs: [base, exponent]) { gradient in
            [
                base.requiresGradient
                    ? (gradient * exponent * Tensor.pow(base, exponent - 1)).sum(toShape: base.shape)
                    : nil,
                exponent.requiresGradient
                    ? (gradient * values * base.log()).sum(toShape: exponent.shape) : nil,
            ]
        }
    }

    /// Element-wise maximum; at a tie each operand receives half the gradient (as PyTorch).
    public static func maximum(_ left: Tensor, _ right: Tensor) -> Tensor {
        extremum(FUNNEL_BINARY_MAX, FUNNEL_BINARY_GREATER, left, right)
    }

    /// Element-wise minimum; at a tie each operand receives half the gradient (as PyTorch).
    public static func minimum(_ left: Tensor, _ right: Tensor) -> Tensor {
        extremum(FUNNEL_BINARY_MIN, FUNNEL_BINARY_LESS, left, right)
    }

    private static func extremum(
        _ operation: funnel_binary_op, _ wins: funnel_binary_op, _ left: Tensor, _ right: Tensor
    ) -> Tensor {
        result(Broadcast.binary(operation, left, right), inputs: [left, right]) { gradient in
            let leftWins = Broadcast.binary(wins, left, right)
            let tie = Broadcast.binary(FUNNEL_BINARY_EQUAL, left, right)
            let leftShare = leftWins + tie * 0.5
            return [
                (gradient * leftShare).sum(toShape: left.shape),
                (gradient * (1 - leftShare)).sum(toShape: right.shape),
            ]
        }
    }

    /// Chooses `first` where `condition` is non-zero and `second` elsewhere, all three
    /// broadcast together. The condition receives no gradient.
    public static func `where`(_ condition: Tensor, _ first: Tensor, _ second: Tensor) -> Tensor {
        let target = Broadcast.shape(condition.shape, Broadcast.shape(first.shape, second.shape))
        let mask = condition.detached().broadcasted(to: target)
        let output = Tensor.uninitialized(target)
        let firstValues = first.detached().broadcasted(to: target)
        let secondValues = second.detached().broadcasted(to: target)
        funnel_select(
            mask.storage.pointer, firstValues.storage.pointer, secondValues.storage.pointer,
            output.storage.pointer, output.count)
        return result(output, inputs: [first, second]) { gradient in
            let zeros = Tensor.zeros([])
            return [
                Tensor.where(mask, gradient, zeros).sum(toShape: first.shape),
                Tensor.where(mask, zeros, gradient).sum(toShape: second.shape),
            ]
        }
    }
}

// MARK: - Comparison masks (1 where true, 0 where false; no gradient)

extension Tensor {
    public static func .> (left: Tensor, right: Tensor) -> Tensor {
        Broadcast.binary(FUNNEL_BINARY_GREATER, left, right)
    }
    public static func .>= (left: Tensor, right: Tensor) -> Tensor {
        Broadcast.binary(FUNNEL_BINARY_GREATER_EQUAL, left, right)
    }
    public static func .< (left: Tensor, right: Tensor) -> Tensor {
        Broadcast.binary(FUNNEL_BINARY_LESS, left, right)
    }
    public static func .<= (left: Tensor, right: Tensor) -> Tensor {
        Broadcast.binary(FUNNEL_BINARY_LESS_EQUAL, left, right)
    }
    public static func .== (left: Tensor, right: Tensor) -> Tensor {
        Broadcast.binary(FUNNEL_BINARY_EQUAL, left, right)
    }
    public static func .!= (left: Tensor, right: Tensor) -> Tensor {
        Broadcast.binary(FUNNEL_BINARY_NOT_EQUAL, left, right)
    }
    public static func .> (left: Tensor, right: Float) -> Tensor { left .> Tensor(right) }
    public static func .>= (left: Tensor, right: Float) -> Tensor { left .>= Tensor(right) }
    public static func .< (left: Tensor, right: Float) -> Tensor { left .< Tensor(right) }
    public static func .<= (left: Tensor, right: Float) -> Tensor { left .<= Tensor(right) }
    public static func .== (left: Tensor, right: Float) -> Tensor { left .== Tensor(right) }
    public static func .!= (left: Tensor, right: Float) -> Tensor { left .!= Tensor(right) }
}
