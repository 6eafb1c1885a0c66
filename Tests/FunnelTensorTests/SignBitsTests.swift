import Testing

import FunnelTensor
import FunnelTestSupport

/// `Tensor.positiveSignBits()` (Tensor+Unary.swift): the vector path against the definition.
@Suite struct SignBitsTests {
    @Test(arguments: [1, 16, 32, 64, 70, 130])
    func bitsAreThePositiveValues(bits: Int) {
        var values = uniform([3, bits], seed: UInt64(bits)).scalars
        // Zero, negative zero and NaN are not positive.
        values[0] = 0
        if bits > 2 {
            values[1] = -0.0
            values[2] = .nan
        }
        let (words, perRow) = Tensor(shape: [3, bits], scalars: values).positiveSignBits()
        #expect(perRow == (bits + 63) / 64 && words.count == 3 * perRow)
        for row in 0..<3 {
            for bit in 0..<perRow * 64 {
                let set = words[row * perRow + bit / 64] >> UInt64(bit % 64) & 1 == 1
                #expect(set == (bit < bits && values[row * bits + bit] > 0), "row \(row) bit \(bit)")
            }
        }
    }
}
