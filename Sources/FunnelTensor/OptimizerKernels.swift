import CFunnelKernels

/// The element-wise update rules of the optimizers as CPU kernels (AVX-512, AVX2 or portable,
/// chosen at run time), for FunnelNN's optimizers, which hold the state and split the work.
public enum OptimizerKernels {
    /// The constants of one Adam update of one parameter (PyTorch's `torch.optim.Adam`; AdamW
    /// when `decoupledScale` ≠ 1).
    public struct AdamConstants {
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        /// lr/(1 − β₁ᵗ).
        public var stepSize: Float
        /// √(1 − β₂ᵗ).
        public var root2: Float
        /// The L2 penalty added to the gradient (coupled weight decay).
        public var coupledDecay: Float
        /// 1 − lr·decay for AdamW, else 1.
        public var decoupledScale: Float

        public init(
            beta1: Float, beta2: Float, epsilon: Float, stepSize: Float, root2: Float, coupledDecay: Float,
            decoupledScale: Float
        ) {
            (self.beta1, self.beta2, self.epsilon) = (beta1, beta2, epsilon)
            (self.stepSize, self.root2, self.coupledDecay, self.decoupledScale) = (stepSize, root2, coupledDecay, decoupledScale)
        }

        var kernel: funnel_adam_parameters {
            funnel_adam_parameters(
                beta1: beta1, beta2: beta2, epsilon: epsilon, step_size: stepSize, root2: root2,
                coupled_decay: coupledDecay, decoupled_scale: decoupledScale)
        }
    }

    /// `g = gradient + coupled·θ; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
    /// θ = θ·decoupled − stepSize·m/(√v/root2 + ε)` over `count` contiguous values.
    public static func adam(
        values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, first: UnsafeMutablePointer<Float>,
        second: UnsafeMutablePointer<Float>, count: Int, constants: AdamConstants
    ) {
        var parameters = constants.kernel
        funnel_adam(values, gradient, first, second, count, &parameters)
    }

    /// The Adam rule on `count` distinct table rows of `width` values: row `rows[i]` of `values`,
    /// `first` and `second` (each the whole table) with gradient row `i`.
    public static func adamRows(
        values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, first: UnsafeMutablePointer<Float>,
        second: UnsafeMutablePointer<Float>, rows: UnsafePointer<Int32>, count: Int, width: Int,
        constants: AdamConstants
    ) {
        var parameters = constants.kernel
        funnel_adam_rows(values, gradient, first, second, rows, count, width, &parameters)
    }
}
