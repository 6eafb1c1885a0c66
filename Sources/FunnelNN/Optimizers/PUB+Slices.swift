#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelTensor

/// Where one parameter lives in the optimizer groups: its Adam and its index there.
struct AdamSlot {
    let adam: Adam
    let index: Int
}

/// Every task's gradient of one parameter over the elements a PUB step touches (PUB,
/// multitask.md §3.1).
///
/// The region is the whole tensor when any task left a dense gradient, otherwise the union of
/// the rows the tasks' row-sparse gradients touched (an embedding table: rows outside it are
/// lazy, as in ``Adam``: no update, no decay, no moment change). `values[t]` holds task `t`'s
/// gradient over the region, `[region elements]`, zeros on rows the task did not touch; `nil`
/// where the task does not reach the parameter at all.
struct TaskSlices {
    /// `(offset, count)` runs of the parameter's flattened elements, in region order.
    let segments: [(offset: Int, count: Int)]
    /// Elements in the region: the sum of the segments' counts.
    let size: Int
    var values: [[Float]?]

    /// Gathers the tasks' gradients of parameter `index`, or `nil` when no task reaches it.
    init?(_ gradients: TaskGradients, parameter index: Int) {
        let tasks = gradients.gradients.map { $0[index] }
        guard tasks.contains(where: { $0 != nil }) else { return nil }
        let parameter = gradients.parameters[index].parameter
        let coalesced = tasks.map { $0?.rowSparse?.coalesced() }
        if tasks.contains(where: { $0?.dense != nil }) || parameter.rank != 2 {
            segments = [(0, parameter.count)]
            size = parameter.count
            values = zip(tasks, coalesced).map { gradient, rows -> [Float]? in
                guard let gradient else { return nil }
                var dense = gradient.dense?.scalars ?? [Float](repeating: 0, count: parameter.count)
                if let (rows, sums) = rows, let width = gradient.rowSparse?.width {
                    for (position, row) in rows.enumerated() {
                        for column in 0..<width { dense[Int(row) * width + column] += sums[position * width + column] }
                    }
                }
                return dense
            }
            return
        }
        let width = parameter.shape[1]
        let union = Set(coalesced.flatMap { $0?.rows ?? [] }).sorted()
        let slot = Dictionary(uniqueKeysWithValues: union.enumerated().map { ($1, $0) })
        segments = union.map { (Int($0) * width, width) }
        size = union.count * width
        values = zip(tasks, coalesced).map { gradient, rows -> [Float]? in
            guard gradient != nil else { return nil }
            var region = [Float](repeating: 0, count: union.count * width)
            if let (rows, sums) = rows {
                for (position, row) in rows.enumerated() {
                    let target = slot[row]! * width
                    for column in 0..<width { region[target + column] = sums[position * width + column] }
                }
            }
            return region
        }
    }

    /// Calls `body(regionPosition, elementOffset)` for every element of the region, in order.
    func forEachElement(_ body: (Int, Int) -> Void) {
        var position = 0
        for (offset, count) in segments {
            for element in offset..<(offset + count) {
                body(position, element)
                position += 1
            }
        }
    }

    /// Σ over the region of (Σ_t g_t)², the squared norm the summed gradient contributes.
    var summedSquaredNorm: Double {
        var squares = 0.0
        for position in 0..<size {
            var sum: Float = 0
            for case let task? in values { sum += task[position] }
            squares += Double(sum) * Double(sum)
        }
        return squares
    }

    mutating func scale(by factor: Float) {
        for task in values.indices where values[task] != nil {
            for position in 0..<size { values[task]![position] *= factor }
        }
    }
}

extension PUB {
    /// `G = D Dᵀ`, `[T, T]`, of the tasks' "what-if" Adam directions (§3.1 step 2.1–2.2): for
    /// task t, `u_t = m_t / (√v_t + ε)` with `m_t = (β₁m + (1−β₁)g_t)/(1−β₁ᵏ)`,
    /// `v_t = (β₂v + (1−β₂)g_t²)/(1−β₂ᵏ)` from the stored moments and the *stored* step count
    /// `k` (not `k + 1`, as the reference code). A task that does not reach a parameter adds
    /// zeros; a task that reaches a table but not a row of the region uses `g_t = 0` there.
    /// Parameters never stepped (`k = 0`) have no state and add zeros.
    static func gramMatrix(_ slices: [(slot: AdamSlot, slices: TaskSlices)], tasks: Int) -> [[Double]] {
        var gram = [[Double]](repeating: [Double](repeating: 0, count: tasks), count: tasks)
        var directions = [Double](repeating: 0, count: tasks)
        for (slot, parameter) in slices {
            let adam = slot.adam
            let k = adam.parameterSteps[slot.index]
            guard k > 0 else { continue }
            let (beta1, beta2, epsilon) = (adam.beta1, adam.beta2, adam.epsilon)
            let correction1 = 1 - powf(beta1, Float(k))
            let correction2 = 1 - powf(beta2, Float(k))
            let (first, second) = (adam.firstMoments[slot.index].pointer, adam.secondMoments[slot.index].pointer)
            parameter.forEachElement { position, element in
                let (m, v) = (first[element], second[element])
                for task in 0..<tasks {
                    guard let values = parameter.values[task] else {
                        directions[task] = 0
                        continue
                    }
                    let g = values[position]
                    let mt = (beta1 * m + (1 - beta1) * g) / correction1
                    let vt = (beta2 * v + (1 - beta2) * g * g) / correction2
                    directions[task] = Double(mt / (vt.squareRoot() + epsilon))
                }
                for i in 0..<tasks where directions[i] != 0 {
                    for j in i..<tasks { gram[i][j] += directions[i] * directions[j] }
                }
            }
        }
        for i in 0..<tasks {
            for j in 0..<i { gram[i][j] = gram[j][i] }
        }
        return gram
    }
}
