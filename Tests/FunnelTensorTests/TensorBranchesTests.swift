import Foundation
import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.concurrently`: branches forward and backward on the pool equal a plain sequential
/// graph bit for bit, whatever the thread count.
@Suite(.serialized) struct TensorBranchesTests {
    /// Two small "towers" `relu(x·W₁ᵀ + b₁)·W₂ᵀ + b₂` over a shared input, with their parameters.
    struct Towers {
        let input: Tensor
        let parameters: [[Tensor]]

        init(seed: UInt64, rows: Int = 64, width: Int = 40, hidden: Int = 48, branches: Int = 3) {
            var generator = RandomGenerator(seed: seed)
            input = Tensor.randomNormal([rows, width], using: &generator, requiresGradient: true)
            parameters = (0..<branches).map { _ in
                [
                    Tensor.randomNormal([hidden, width], using: &generator, requiresGradient: true),
                    Tensor.randomNormal([hidden], using: &generator, requiresGradient: true),
                    Tensor.randomNormal([1, hidden], using: &generator, requiresGradient: true),
                    Tensor.randomNormal([1], using: &generator, requiresGradient: true),
                ]
            }
        }

        func tower(_ branch: Int) -> (Tensor) -> Tensor {
            let p = parameters[branch]
            return { x in Tensor.linear(Tensor.linear(x, weight: p[0], bias: p[1]).relu(), weight: p[2], bias: p[3]) }
        }

        /// A loss over every branch's output, so each gets a distinct output gradient.
        func loss(_ outputs: [Tensor]) -> Tensor {
            outputs.enumerated().map { ($0.element * Float($0.offset + 1)).sigmoid().sum() }.reduce(Tensor(0), +)
        }

        /// The input's and every parameter's gradient, flattened.
        var gradients: [[Float]] {
            [input.gradient!.scalars] + parameters.flatMap { $0.map { $0.gradient!.scalars } }
        }
    }

    private func run(concurrent: Bool, threads: Int) -> ([[Float]], [[Float]]) {
        Compute.withThreads(threads) {
            let towers = Towers(seed: 7)
            let bodies = towers.parameters.indices.map { towers.tower($0) }
            let outputs = concurrent
                ? Tensor.concurrently(Array(repeating: towers.input, count: bodies.count), bodies)
                : bodies.map { $0(towers.input) }
            towers.loss(outputs).backward()
            return (outputs.map(\.scalars), towers.gradients)
        }
    }

    @Test func branchesEqualTheSequentialGraphBitForBit() {
        let (sequentialOutputs, sequentialGradients) = run(concurrent: false, threads: 1)
        for threads in [1, 2] {
            let (outputs, gradients) = run(concurrent: true, threads: threads)
            #expect(outputs == sequentialOutputs, "outputs on \(threads) threads")
            #expect(gradients == sequentialGradients, "gradients on \(threads) threads")
        }
    }

    /// With ``Compute/branchesRunInOrder`` (a run whose tables are split over MPI ranks), the
    /// forward passes run one after the other on the calling thread, in branch order, and give
    /// the same bits.
    @Test func branchesRunInOrderOnTheCallingThread() {
        let (sequentialOutputs, sequentialGradients) = run(concurrent: false, threads: 1)
        Compute.branchesRunInOrder = true
        defer { Compute.branchesRunInOrder = false }
        let caller = pthread_self()
        let order = OrderRecorder()
        _ = Compute.withThreads(2) {
            Tensor.concurrently((0..<4).map { _ in Tensor(1) }, (0..<4).map { branch in
                { input in
                    order.append(branch, onCaller: pthread_equal(pthread_self(), caller) != 0)
                    return input
                }
            })
        }
        #expect(order.entries == (0..<4).map { ($0, true) }.map { "\($0.0):\($0.1)" })
        let (outputs, gradients) = run(concurrent: true, threads: 2)
        #expect(outputs == sequentialOutputs && gradients == sequentialGradients)
    }

    final class OrderRecorder: @unchecked Sendable {
        private(set) var entries: [String] = []
        private let lock = NSLock()

        func append(_ branch: Int, onCaller: Bool) {
            lock.lock()
            entries.append("\(branch):\(onCaller)")
            lock.unlock()
        }
    }

    @Test func retainedGraphBacksUpTwiceAndAccumulates() {
        let towers = Towers(seed: 3, branches: 2)
        let outputs = Tensor.concurrently([towers.input, towers.input], [towers.tower(0), towers.tower(1)])
        let loss = towers.loss(outputs)
        loss.backward(retainingGraph: true)
        let once = towers.gradients
        loss.backward()
        for (twice, single) in zip(towers.gradients, once) {
            #expect(zip(twice, single).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
        }
    }

    @Test func parametersOnlyBranchesStillGetGradients() {
        // An input that needs no gradient: the branches' parameters must still receive theirs.
        let towers = Towers(seed: 5, branches: 2)
        let constant = towers.input.detached()
        let outputs = Tensor.concurrently([constant, constant], [towers.tower(0), towers.tower(1)])
        towers.loss(outputs).backward()
        #expect(towers.parameters.allSatisfy { $0.allSatisfy { $0.gradient != nil } })
        #expect(towers.input.gradient == nil)
    }

    /// One tower over the two halves of the rows as two branches sharing its parameters: the
    /// gradients equal the whole-batch tower's to rounding, and are the same bits on one and on
    /// two threads, run after run.
    @Test func branchesMayShareParameters() {
        func run(threads: Int) -> [[Float]] {
            Compute.withThreads(threads) {
                let towers = Towers(seed: 11, branches: 1)
                let halves = [towers.input.sliced(alongAxis: 0, 0..<32), towers.input.sliced(alongAxis: 0, 32..<64)]
                let outputs = Tensor.concurrently(halves, [towers.tower(0), towers.tower(0)])
                towers.loss([Tensor.concatenated(outputs, alongAxis: 0)]).backward()
                return towers.gradients
            }
        }
        let towers = Towers(seed: 11, branches: 1)
        towers.loss([towers.tower(0)(towers.input)]).backward()
        let single = run(threads: 1)
        for _ in 0..<10 { #expect(run(threads: 2) == single) }
        for (shared, whole) in zip(single, towers.gradients) { expectClose(shared, whole, tolerance: 1e-4) }
    }

    /// Three branches reading one embedding table and one weight, the last running two branches
    /// of its own: the table's rows and the weight's gradient equal the plain graph's to
    /// rounding, and are the same bits on one and on two threads, run after run.
    @Test func branchesMayShareTablesAndNest() {
        func run(concurrent: Bool, threads: Int) -> ([Int32], [Float], [Float]) {
            Compute.withThreads(threads) {
                var generator = RandomGenerator(seed: 13)
                let table = Tensor.randomNormal([10, 4], using: &generator, requiresGradient: true)
                let weight = Tensor.randomNormal([3, 4], using: &generator, requiresGradient: true)
                func score(_ ids: [Int32]) -> Tensor {
                    Tensor.matmul(table.embeddingLookup(ids, paddingID: 9), weight, transposeRight: true).sigmoid().sum()
                }
                let lists: [[Int32]] = [[1, 2, 3, 1], [3, 4, 9, 1], [0, 1, 2, 3], [5, 1, 1, 9]]
                let nested: ([Tensor]) -> [Tensor] = { _ in
                    let inner = try! Tensor.concurrently([[], []], [{ _ in [score(lists[2])] }, { _ in [score(lists[3])] }])
                    return [inner[0][0] + inner[1][0]]
                }
                let outputs = concurrent
                    ? try! Tensor.concurrently([[], [], []], [{ _ in [score(lists[0])] }, { _ in [score(lists[1])] }, nested]).map { $0[0] }
                    : [score(lists[0]), score(lists[1]), score(lists[2]) + score(lists[3])]
                outputs.enumerated().map { $0.element * Float($0.offset + 1) }.reduce(Tensor(0), +).backward()
                let (rows, values) = table.sparseGradient!.coalesced()
                return (rows, values, weight.gradient!.scalars)
            }
        }
        let plain = run(concurrent: false, threads: 1)
        let single = run(concurrent: true, threads: 1)
        #expect(single.0 == plain.0 && single.0 == [0, 1, 2, 3, 4, 5], "the padding row gets no gradient")
        expectClose(single.1, plain.1)
        expectClose(single.2, plain.2)
        for _ in 0..<10 {
            let double = run(concurrent: true, threads: 2)
            #expect(double.0 == single.0 && double.1 == single.1 && double.2 == single.2)
        }
    }

    @Test func withoutGradientsRecordsNothingOnAnyThread() {
        Compute.withThreads(2) {
            let towers = Towers(seed: 9, branches: 4)
            let outputs = withoutGradients {
                Tensor.concurrently(Array(repeating: towers.input, count: 4), (0..<4).map { towers.tower($0) })
            }
            #expect(outputs.allSatisfy { !$0.requiresGradient && $0.node == nil })
        }
    }
}
