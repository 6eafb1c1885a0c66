#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PUB {
    /// The task weights of PUB (multitask.md §3.1 step 2.3): the positive root of
    /// `α ⊙ (Ĝα) = 1`, `Ĝ = G/‖G‖_F`, the Nash-bargaining stationarity condition on the Gram
    /// matrix of the tasks' Adam directions.
    ///
    /// The reference code runs a CCP with cvxpy; this is the [ASSUMED] Swift recommendation:
    /// the multiplicative fixed point `α_i ← √(α_i / (Ĝα)_i)` from `previous` (at most
    /// `maximumIterations`, stopping when `max_i |α_i(Ĝα)_i − 1| < tolerance`), then, if that
    /// did not converge, damped Newton on the convex `f(α) = ½αᵀĜα − Σ log α_i` (whose
    /// stationary point is the root; backtracking keeps α > 0). The result is clamped into
    /// `[minimumWeight, maximumWeight]`. `previous` comes back unchanged when `G` is zero or
    /// not finite, or when no root was found and `Ĝ` is singular. α is not renormalised.
    /// - Parameters:
    ///   - gram: `G`, `[T][T]`, symmetric positive semi-definite.
    ///   - previous: the current weights, `[T]` (all ones before the first solve).
    /// - Returns: `[T]` weights.
    public static func solveWeights(gram: [[Double]], previous: [Double], configuration: Configuration) -> [Double] {
        let count = gram.count
        precondition(previous.count == count && gram.allSatisfy { $0.count == count }, "Funnel: PUB gram matrix must be T×T")
        let norm = gram.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm.isFinite, norm > 0 else { return previous }
        let g = gram.map { $0.map { $0 / norm } }
        func product(_ alpha: [Double]) -> [Double] {
            (0..<count).map { i in (0..<count).reduce(0) { $0 + g[i][$1] * alpha[$1] } }
        }
        func residual(_ alpha: [Double]) -> Double {
            let ga = product(alpha)
            return (0..<count).map { abs(alpha[$0] * ga[$0] - 1) }.max() ?? 0
        }
        let (low, high) = (configuration.minimumWeight, configuration.maximumWeight)
        func clamped(_ alpha: [Double]) -> [Double] { alpha.map { min(max($0, low), high) } }

        // The multiplicative fixed point.
        var alpha = previous.map { $0.isFinite && $0 > 0 ? $0 : 1 }
        var converged = false
        for _ in 0..<configuration.maximumIterations {
            let ga = product(alpha)
            guard ga.allSatisfy({ $0 > 0 && $0.isFinite }) else { break }
            alpha = (0..<count).map { (alpha[$0] / ga[$0]).squareRoot() }
            if residual(alpha) < configuration.tolerance {
                converged = true
                break
            }
        }
        if !converged {
            // Damped Newton on f(α) = ½αᵀĜα − Σ log α: ∇f = Ĝα − 1/α, ∇²f = Ĝ + diag(1/α²).
            alpha = previous.map { $0.isFinite && $0 > 0 ? $0 : 1 }
            func objective(_ alpha: [Double]) -> Double {
                let ga = product(alpha)
                return (0..<count).reduce(0) { $0 + 0.5 * alpha[$1] * ga[$1] - log(alpha[$1]) }
            }
            for _ in 0..<configuration.newtonIterations {
                if residual(alpha) < configuration.tolerance {
                    converged = true
                    break
                }
                let ga = product(alpha)
                let gradient = (0..<count).map { ga[$0] - 1 / alpha[$0] }
                var hessian = g
                for i in 0..<count { hessian[i][i] += 1 / (alpha[i] * alpha[i]) }
                guard let direction = solveLinear(hessian, gradient) else { break }
                var step = 1.0
                let current = objective(alpha)
                var moved = false
                while step > 1e-12 {
                    let trial = (0..<count).map { alpha[$0] - step * direction[$0] }
                    if trial.allSatisfy({ $0 > 0 }), objective(trial) <= current {
                        alpha = trial
                        moved = true
                        break
                    }
                    step /= 2
                }
                if !moved { break }
            }
            converged = converged || residual(alpha) < configuration.tolerance
        }
        guard alpha.allSatisfy(\.isFinite) else { return previous }
        if !converged && isSingular(g) { return previous }
        return clamped(alpha)
    }

    /// Solves `a x = b` by Gaussian elimination with partial pivoting; `nil` when singular.
    static func solveLinear(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let count = b.count
        var a = a
        var b = b
        for column in 0..<count {
            let pivot = (column..<count).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            guard abs(a[pivot][column]) > 1e-300 else { return nil }
            a.swapAt(column, pivot)
            b.swapAt(column, pivot)
            for row in (column + 1)..<count {
                let factor = a[row][column] / a[column][column]
                for k in column..<count { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: count)
        for row in stride(from: count - 1, through: 0, by: -1) {
            let rest = ((row + 1)..<count).reduce(0) { $0 + a[row][$1] * x[$1] }
            x[row] = (b[row] - rest) / a[row][row]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// Whether the symmetric `g` has no Cholesky factor with pivots above 1e-12 (relative).
    static func isSingular(_ g: [[Double]]) -> Bool {
        let count = g.count
        let scale = (0..<count).map { g[$0][$0] }.max() ?? 0
        var lower = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        for i in 0..<count {
            for j in 0...i {
                let sum = (0..<j).reduce(g[i][j]) { $0 - lower[i][$1] * lower[j][$1] }
                if i == j {
                    guard sum > 1e-12 * scale else { return true }
                    lower[i][i] = sum.squareRoot()
                } else {
                    lower[i][j] = sum / lower[j][j]
                }
            }
        }
        return false
    }
}
