#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Per-user, per-digit log-probabilities over semantic-ID codes, the input of every decoder in
/// this folder (sequential.md §4.5: `log p_k = log_softmax(z_k)`).
///
/// Shape `[users, width]` with `width = Σ_k K_k`: each user's row is the digits' `[K_k]` blocks
/// concatenated in digit order, so user b's log-probability of code c at digit k is
/// `values[b · width + offsets[k] + c]`.
public struct DigitLogProbabilities: Sendable, Equatable {
    /// `K_k`: each digit's codebook size.
    public let digitSizes: [Int]
    /// `[M + 1]`: where each digit's block starts in a user's row; the last entry is `width`.
    public let offsets: [Int]
    /// B: the number of users.
    public let users: Int
    /// `[users, width]`, row-major.
    public let values: [Float]

    /// M: the number of digits.
    public var digits: Int { digitSizes.count }
    /// `Σ_k K_k`: the length of one user's row.
    public var width: Int { offsets[digitSizes.count] }

    /// Wraps log-probabilities that are already normalised, `[users, Σ_k K_k]`.
    public init(values: [Float], digitSizes: [Int], users: Int = 1) {
        precondition(
            !digitSizes.isEmpty && digitSizes.allSatisfy { $0 > 0 },
            "Funnel: digits need positive sizes")
        var offsets = [0]
        for size in digitSizes { offsets.append(offsets[offsets.count - 1] + size) }
        precondition(
            users >= 0 && values.count == users * offsets[digitSizes.count],
            "Funnel: \(values.count) log-probabilities do not fill \(users) rows of \(offsets[digitSizes.count])"
        )
        self.digitSizes = digitSizes
        self.offsets = offsets
        self.users = users
        self.values = values
    }

    /// Normalises logits `z_k`, `[users, Σ_k K_k]`, into `log p_k = log_softmax(z_k)` digit by
    /// digit (sequential.md §4.5).
    ///
    /// Guarded: the maximum is subtracted before `exp`; a digit whose logits are all −∞ becomes
    /// uniform (the limit of equal logits); a digit with +∞ logits shares the mass among them
    /// (the others get −∞); a NaN logit makes its digit's block NaN, which every decoder ranks
    /// as −∞.
    public init(logits: [Float], digitSizes: [Int], users: Int = 1) {
        let shaped = DigitLogProbabilities(values: logits, digitSizes: digitSizes, users: users)
        var values = logits
        values.withUnsafeMutableBufferPointer { buffer in
            for user in 0..<users {
                for digit in 0..<digitSizes.count {
                    let start = user * shaped.width + shaped.offsets[digit]
                    DigitLogProbabilities.logSoftmax(
                        UnsafeMutableBufferPointer(
                            rebasing: buffer[start..<(start + digitSizes[digit])]))
                }
            }
        }
        self.init(values: values, digitSizes: digitSizes, users: users)
    }

    /// Replaces logits in place by their log-softmax (see ``init(logits:digitSizes:users:)``).
    public static func logSoftmax(_ block: UnsafeMutableBufferPointer<Float>) {
        guard !block.isEmpty else { return }
        var maximum = -Float.infinity
        for value in block where value > maximum { maximum = value }
        if maximum == .infinity {
            let infinite = block.reduce(0) { $0 + ($1 == .infinity ? 1 : 0) }
            let share = -Float(log(Double(infinite)))
            for index in block.indices {
                block[index] = block[index] == .infinity ? share : -.infinity
            }
            return
        }
        if maximum == -.infinity {
            let uniform = -Float(log(Double(block.count)))
            for index in block.indices where !block[index].isNaN { block[index] = uniform }
            if block.contains(where: \.isNaN) { for index in block.indices { block[index] = .nan } }
            return
        }
        var total: Double = 0
        for value in block { total += exp(Double(value - maximum)) }
        // Shifting first keeps the largest logit's log-probability exact at any magnitude.
        let logTotal = Float(log(total))
        for index in block.indices { block[index] = (block[index] - maximum) - logTotal }
    }

    /// User `user`'s log-probability of code `code` at digit `digit` (0-based).
    @inlinable public func value(user: Int = 0, digit: Int, code: Int) -> Float {
        values[user * width + offsets[digit] + code]
    }

    /// User `user`'s block for digit `digit`, `[K_digit]`.
    public func row(user: Int = 0, digit: Int) -> ArraySlice<Float> {
        let start = user * width + offsets[digit]
        return values[start..<(start + digitSizes[digit])]
    }
}
