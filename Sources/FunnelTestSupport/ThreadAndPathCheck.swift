import FunnelTensor
import Testing

/// Expects `run` to give the same bits on 1 and 2 threads and on every CPU path the machine has
/// (the kernels' determinism promise): `run` computes the values to compare (outputs and
/// gradients), each call from scratch.
public func expectSameBitsOnEveryThreadCountAndPath(
    sourceLocation: SourceLocation = #_sourceLocation, _ run: () -> [[Float]]
) {
    let reference = Compute.withThreads(1) { run() }
    #expect(Compute.withThreads(2) { run() } == reference, "2 threads", sourceLocation: sourceLocation)
    let detected = Compute.path
    defer { Compute.path = detected }
    for path in Compute.Path.allCases {
        Compute.path = path
        #expect(Compute.withThreads(1) { run() } == reference, "path \(path)", sourceLocation: sourceLocation)
    }
}
