import Testing

@testable import FunnelBenchmarks

/// A missing reference script is refused before any benchmark work (loading, simulating,
/// training), naming the option and the path.
@Suite struct ReferenceScriptTests {
    @Test func missingScriptIsRefusedFirst() throws {
        let missing = "/nonexistent/torch_reference.py"
        var esmm = ESMMBenchmark.Options(dataDirectory: "/nonexistent/data")
        esmm.referenceScript = missing
        var mmoe = MMoEBenchmark.Options(dataDirectory: "/nonexistent/data")
        mmoe.referenceScript = missing
        var base = BASEBenchmark.Options()
        base.referenceScript = missing
        for run in [{ _ = try ESMMBenchmark.run(esmm) }, { _ = try MMoEBenchmark.run(mmoe) }, { _ = try BASEBenchmark.run(base) }] {
            let error = #expect(throws: ReferenceScript.Failure.self) { try run() }
            #expect(error?.message.contains("--reference \(missing): no such readable file") == true)
        }
        try ReferenceScript.check(nil)
    }
}
