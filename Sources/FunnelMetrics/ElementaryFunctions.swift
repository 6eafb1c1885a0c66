// The standard library has no logarithm or exponential, so this file, and only this file,
// imports the platform C math library (which the standard library links anyway). Everything
// else in FunnelMetrics imports nothing, and nothing here pulls in Foundation.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(ucrt)
    import ucrt
#endif

/// The few elementary functions the metrics need, in `Double`.
enum ElementaryFunctions {
    /// The natural logarithm, `ln x`.
    static func log(_ x: Double) -> Double { libmLog(x) }

    /// `ln(1 + x)`, accurate when `x` is tiny.
    static func log1p(_ x: Double) -> Double { libmLog1p(x) }

    /// `e^x`.
    static func exp(_ x: Double) -> Double { libmExp(x) }

    /// `log₂ x`.
    static func log2(_ x: Double) -> Double { libmLog2(x) }

    /// `2^x`, exact for integer `x` in range.
    static func exp2(_ x: Double) -> Double { libmExp2(x) }
}

// At file scope the names below resolve to the C functions, not to the enum's members.
private func libmLog(_ x: Double) -> Double { log(x) }
private func libmLog1p(_ x: Double) -> Double { log1p(x) }
private func libmExp(_ x: Double) -> Double { exp(x) }
private func libmLog2(_ x: Double) -> Double { log2(x) }
private func libmExp2(_ x: Double) -> Double { exp2(x) }
