import CFunnelKernels

/// Matrix-vector products straight from GGML-quantised weights, as CPU kernels (AVX-512, AVX2
/// or portable, chosen at run time): the one-token decode step of a quantised language model
/// reads the blocks (Q4_1: 5 bits a weight, Q8_0: 8.5) instead of a dequantised Float32 copy.
///
/// A `rows × columns` matrix W is stored row after row, each row `columns / 32` consecutive
/// blocks of 32 values (`columns` a multiple of 32). Rows split across `Compute.threadCount`
/// threads; each row is summed whole by one thread in a fixed order, so `y` does not depend on
/// the thread count and is the same on every run.
public enum QuantisedKernels {
    /// Bytes of one Q4_1 block: f16 d, f16 m, 16 bytes of nibbles.
    public static let q4_1BlockByteCount = 20
    /// Bytes of one Q8_0 block: f16 d, 32 int8.
    public static let q8_0BlockByteCount = 34

    /// `y[r] = Σ_c W[r, c] · x[c]` for W in Q4_1 blocks (f16 d, f16 m, then 16 bytes whose byte
    /// `j` holds element `j` in its low nibble and element `j + 16` in its high one; value =
    /// q·d + m). Each block adds d·Σ(q·x) + m·Σx.
    ///
    /// Shapes: `blocks` `rows · columns/32 · 20` bytes, `x` `[columns]`, `y` `[rows]`.
    public static func gemvQ4_1(
        blocks: UnsafeRawPointer, rows: Int, columns: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        precondition(columns % 32 == 0 && columns >= 0 && rows >= 0, "Funnel: a Q4_1 GEMV of \(rows) × \(columns)")
        funnel_gemv_q4_1(blocks, rows, columns, x, y)
    }

    /// `y[r] = Σ_c W[r, c] · x[c]` for W in Q8_0 blocks (f16 d, 32 int8 q; value = q·d).
    ///
    /// Shapes: `blocks` `rows · columns/32 · 34` bytes, `x` `[columns]`, `y` `[rows]`.
    public static func gemvQ8_0(
        blocks: UnsafeRawPointer, rows: Int, columns: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        precondition(columns % 32 == 0 && columns >= 0 && rows >= 0, "Funnel: a Q8_0 GEMV of \(rows) × \(columns)")
        funnel_gemv_q8_0(blocks, rows, columns, x, y)
    }
}
