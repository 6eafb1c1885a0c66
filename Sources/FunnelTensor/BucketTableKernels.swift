import CFunnelKernels

/// Gathers and scatter-adds over the rows ("buckets") of a flat table, as CPU kernels (AVX-512,
/// AVX2 or portable, chosen at run time) with prefetching a few rows ahead: the hot loops of
/// ReLoop2's sketch memory (FunnelModels `SketchErrorMemory`), which holds the tables and splits
/// them across threads. Each call runs on the calling thread.
///
/// A table is `buckets × stride` floats, row-major; a bucket's first `width` floats take part.
public enum BucketTableKernels {
    /// For each of `count` rows `r`: `dots[r] = Σ_j bucket[j] · queries[r · width + j]` and
    /// `squares[r] = Σ_j bucket[j]²` over `j < width`, where `bucket` starts at
    /// `table + bucketIndices[r] · stride`; summed in FunnelTensor's fixed 16-lane order.
    ///
    /// Shapes: `bucketIndices` `[count]`, `queries` `[count × width]`, `dots`, `squares` `[count]`.
    public static func gatheredDots(
        table: UnsafePointer<Float>, stride: Int, bucketIndices: UnsafePointer<Int32>, count: Int,
        queries: UnsafePointer<Float>, width: Int, dots: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Float>
    ) {
        precondition(width <= stride, "Funnel: a gather of \(width) floats from buckets of \(stride)")
        funnel_gathered_dots(table, stride, bucketIndices, count, queries, width, dots, squares)
    }

    /// `bucket(bucketIndices[r])[j] += values[r · width + j]` for `j < width`, rows in order
    /// `r = 0, 1, …` (a bucket named twice accumulates in that order, so the sums do not depend
    /// on threads).
    ///
    /// Shapes: `bucketIndices` `[count]`, `values` `[count × width]`.
    public static func scatterAdd(
        table: UnsafeMutablePointer<Float>, stride: Int, bucketIndices: UnsafePointer<Int32>, count: Int,
        values: UnsafePointer<Float>, width: Int
    ) {
        precondition(width <= stride, "Funnel: a scatter of \(width) floats into buckets of \(stride)")
        funnel_scatter_add(table, stride, bucketIndices, count, values, width)
    }
}
