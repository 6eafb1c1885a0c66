import FunnelTensor
import Testing

/// The quantised GEMVs against dequantise-then-dot in `Double`, on random blocks built here, and
/// their independence of the thread count.
@Suite struct QuantisedKernelsTests {
    /// 101 rows (not a multiple of any thread split) of 1024 columns (32 blocks): enough work
    /// for the kernels to split the rows across threads.
    let rows = 101
    let columns = 1024

    /// Random Q4_1 blocks and their dequantised values (`rows × columns`).
    func q4_1Matrix(_ generator: inout RandomGenerator) -> (bytes: [UInt8], values: [Float]) {
        var bytes: [UInt8] = []
        var values: [Float] = []
        for _ in 0..<(rows * columns / 32) {
            let d = Float16(generator.nextUnitFloat() * 0.1 + 0.001)
            let m = Float16(generator.nextNormal() * 0.2)
            var quants = [UInt8](repeating: 0, count: 32)
            for index in 0..<32 { quants[index] = UInt8(generator.next() % 16) }
            bytes += [UInt8(d.bitPattern & 0xFF), UInt8(d.bitPattern >> 8), UInt8(m.bitPattern & 0xFF), UInt8(m.bitPattern >> 8)]
            for j in 0..<16 { bytes.append(quants[j] | (quants[j + 16] << 4)) }
            for index in 0..<32 { values.append(Float(quants[index]) * Float(d) + Float(m)) }
        }
        return (bytes, values)
    }

    /// Random Q8_0 blocks and their dequantised values (`rows × columns`).
    func q8_0Matrix(_ generator: inout RandomGenerator) -> (bytes: [UInt8], values: [Float]) {
        var bytes: [UInt8] = []
        var values: [Float] = []
        for _ in 0..<(rows * columns / 32) {
            let d = Float16(generator.nextUnitFloat() * 0.01 + 0.0001)
            bytes += [UInt8(d.bitPattern & 0xFF), UInt8(d.bitPattern >> 8)]
            for _ in 0..<32 {
                let quant = Int8(truncatingIfNeeded: Int(generator.next() % 255) - 127)
                bytes.append(UInt8(bitPattern: quant))
                values.append(Float(quant) * Float(d))
            }
        }
        return (bytes, values)
    }

    func gemv(_ bytes: [UInt8], x: [Float], q4_1: Bool) -> [Float] {
        var y = [Float](repeating: .nan, count: rows)
        bytes.withUnsafeBytes { blocks in
            guard let base = blocks.baseAddress else { return }
            if q4_1 {
                QuantisedKernels.gemvQ4_1(blocks: base, rows: rows, columns: columns, x: x, y: &y)
            } else {
                QuantisedKernels.gemvQ8_0(blocks: base, rows: rows, columns: columns, x: x, y: &y)
            }
        }
        return y
    }

    /// Each row equals Σ W·x of the dequantised values within 1e-5 of Σ|W·x|.
    func expectMatchesDequantised(_ y: [Float], values: [Float], x: [Float]) {
        for row in 0..<rows {
            var (sum, magnitude): (Double, Double) = (0, 0)
            for column in 0..<columns {
                let term = Double(values[row * columns + column]) * Double(x[column])
                sum += term
                magnitude += Swift.abs(term)
            }
            #expect(Swift.abs(Double(y[row]) - sum) <= 1e-5 * magnitude, "row \(row): \(y[row]) vs \(sum)")
        }
    }

    @Test func q4_1MatchesDequantiseThenDot() {
        var generator = RandomGenerator(seed: 11)
        let (bytes, values) = q4_1Matrix(&generator)
        let x = (0..<columns).map { _ in generator.nextNormal() }
        expectMatchesDequantised(gemv(bytes, x: x, q4_1: true), values: values, x: x)
    }

    @Test func q8_0MatchesDequantiseThenDot() {
        var generator = RandomGenerator(seed: 12)
        let (bytes, values) = q8_0Matrix(&generator)
        let x = (0..<columns).map { _ in generator.nextNormal() }
        expectMatchesDequantised(gemv(bytes, x: x, q4_1: false), values: values, x: x)
    }

    @Test func resultsDoNotDependOnTheThreadCount() {
        var generator = RandomGenerator(seed: 13)
        let q4_1 = q4_1Matrix(&generator).bytes
        let q8_0 = q8_0Matrix(&generator).bytes
        let x = (0..<columns).map { _ in generator.nextNormal() }
        for (bytes, isQ4_1) in [(q4_1, true), (q8_0, false)] {
            let one = Compute.withThreads(1) { gemv(bytes, x: x, q4_1: isQ4_1) }
            let two = Compute.withThreads(2) { gemv(bytes, x: x, q4_1: isQ4_1) }
            let three = Compute.withThreads(3) { gemv(bytes, x: x, q4_1: isQ4_1) }
            #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
            #expect(one.map(\.bitPattern) == three.map(\.bitPattern))
            #expect(one.map(\.bitPattern) == gemv(bytes, x: x, q4_1: isQ4_1).map(\.bitPattern))
        }
    }

    /// Every path this CPU has (portable: halves by bit manipulation; AVX2, AVX-512: by F16C)
    /// matches the dequantised values, with subnormal and negative scales and offsets too.
    @Test func everyPathMatchesDequantiseThenDot() {
        var generator = RandomGenerator(seed: 14)
        var (q4_1, q4_1Values) = q4_1Matrix(&generator)
        var (q8_0, q8_0Values) = q8_0Matrix(&generator)
        // Row 0's first block: a subnormal d (0x0003) and a negative subnormal m (0x8201).
        q4_1[0] = 0x03; q4_1[1] = 0x00; q4_1[2] = 0x01; q4_1[3] = 0x82
        let d = Float(Float16(bitPattern: 0x0003)), m = Float(Float16(bitPattern: 0x8201))
        for index in 0..<16 {
            q4_1Values[index] = Float(q4_1[4 + index] & 15) * d + m
            q4_1Values[index + 16] = Float(q4_1[4 + index] >> 4) * d + m
        }
        // Row 1's first Q8_0 block: a negative d.
        let offset = columns / 32 * 34
        let negative = Float16(-0.003)
        q8_0[offset] = UInt8(negative.bitPattern & 0xFF); q8_0[offset + 1] = UInt8(negative.bitPattern >> 8)
        for index in 0..<32 {
            q8_0Values[columns + index] = Float(Int8(bitPattern: q8_0[offset + 2 + index])) * Float(negative)
        }
        let x = (0..<columns).map { _ in generator.nextNormal() }
        let previous = Compute.path
        defer { Compute.path = previous }
        for path in Compute.Path.allCases where path.rawValue <= Compute.detectedPath.rawValue {
            Compute.path = path
            expectMatchesDequantised(gemv(q4_1, x: x, q4_1: true), values: q4_1Values, x: x)
            expectMatchesDequantised(gemv(q8_0, x: x, q4_1: false), values: q8_0Values, x: x)
        }
    }
}
