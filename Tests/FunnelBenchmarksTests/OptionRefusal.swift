@testable import FunnelBenchmarks

/// The error `validate` throws for `options` after `change`, `nil` when it accepts them: the
/// benchmarks' option checks, one option at a time.
func optionRefusal<Options>(
    _ options: Options, _ validate: (Options) throws -> Void, _ change: (inout Options) -> Void
) -> BenchmarkOptionError? {
    var options = options
    change(&options)
    do {
        try validate(options)
        return nil
    } catch {
        return error as? BenchmarkOptionError
    }
}
