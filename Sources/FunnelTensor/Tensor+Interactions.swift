extension Tensor {
    /// DIN's activation-unit input (Zhou et al., KDD 2018, arXiv 1706.06978, §4.3; FuxiCTR's
    /// `DIN_Attention`) as one primitive: for every position of the sequence, the target, the
    /// behaviour, their difference and their element-wise product side by side,
    /// `[t, s, t − s, t ⊙ s]`. One pass forward and one backward replace the target's
    /// broadcast, the difference, the product, the join and the slices of its backward pass.
    ///
    /// Shapes: target `[n, d]`, sequence `[n, L, d]` → `[n, L, 4d]`.
    public static func targetInteractions(target: Tensor, sequence: Tensor) -> Tensor {
        precondition(
            target.rank == 2 && sequence.rank == 3 && sequence.shape[0] == target.shape[0] && sequence.shape[2] == target.shape[1],
            "Funnel: target interactions of target \(target.shape) and sequence \(sequence.shape)")
        let (rows, length, width) = (sequence.shape[0], sequence.shape[1], sequence.shape[2])
        let output = Tensor.uninitialized([rows, length, 4 * width])
        let (t, s, y) = (target.storage.pointer, sequence.storage.pointer, output.storage.pointer)
        for row in 0..<rows {
            let targetRow = t + row * width
            for position in 0..<length {
                let behaviour = s + (row * length + position) * width
                let out = y + (row * length + position) * 4 * width
                for column in 0..<width {
                    let (a, b) = (targetRow[column], behaviour[column])
                    out[column] = a
                    out[width + column] = b
                    out[2 * width + column] = a - b
                    out[3 * width + column] = a * b
                }
            }
        }
        return result(output, inputs: [target, sequence]) { gradient in
            let g = gradient.storage.pointer
            let targetGradient = target.requiresGradient ? Tensor.zeros(target.shape) : nil
            let sequenceGradient = sequence.requiresGradient ? Tensor.uninitialized(sequence.shape) : nil
            for row in 0..<rows {
                let targetRow = t + row * width
                for position in 0..<length {
                    let index = row * length + position
                    let behaviour = s + index * width
                    let incoming = g + index * 4 * width
                    // d/dt: g₀ + g₂ + g₃·s, summed over positions in order; d/ds: g₁ − g₂ + g₃·t.
                    if let targetGradient {
                        let out = targetGradient.storage.pointer + row * width
                        for column in 0..<width {
                            out[column] += incoming[column] + incoming[2 * width + column] + incoming[3 * width + column] * behaviour[column]
                        }
                    }
                    if let sequenceGradient {
                        let out = sequenceGradient.storage.pointer + index * width
                        for column in 0..<width {
                            out[column] = incoming[width + column] - incoming[2 * width + column] + incoming[3 * width + column] * targetRow[column]
                        }
                    }
                }
            }
            return [targetGradient, sequenceGradient]
        }
    }
}
