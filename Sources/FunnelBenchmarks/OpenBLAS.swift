#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// OpenBLAS's `cblas_sgemm`, loaded at run time with `dlopen` so that Funnel never links it:
/// the benchmark compares against it where the library is installed and skips it elsewhere.
struct OpenBLAS {
    private typealias SGEMMFunction = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    private typealias SetThreadCountFunction = @convention(c) (Int32) -> Void

    private let sgemmFunction: SGEMMFunction
    private let setThreadCountFunction: SetThreadCountFunction

    /// Loads the library, or returns nil when it or one of its symbols is missing.
    init?(libraryName: String = "libopenblas.so.0") {
        // OpenBLAS starts its worker threads when loaded; the comparison is single-threaded,
        // and idle workers would compete with Funnel's second thread.
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        guard let handle = dlopen(libraryName, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let sgemm = dlsym(handle, "cblas_sgemm"),
            let setThreadCount = dlsym(handle, "openblas_set_num_threads")
        else {
            dlclose(handle)
            return nil
        }
        sgemmFunction = unsafeBitCast(sgemm, to: SGEMMFunction.self)
        setThreadCountFunction = unsafeBitCast(setThreadCount, to: SetThreadCountFunction.self)
    }

    /// Sets the number of threads OpenBLAS uses.
    func setThreadCount(_ count: Int) {
        setThreadCountFunction(Int32(count))
    }

    /// Row-major C[m×n] = alpha · op(A) · op(B) + beta · C, with the arguments of
    /// `funnel_sgemm`.
    func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rowMajor: Int32 = 101, noTranspose: Int32 = 111, transpose: Int32 = 112
        sgemmFunction(
            rowMajor, transposeA ? transpose : noTranspose, transposeB ? transpose : noTranspose,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c,
            Int32(ldc))
    }
}
