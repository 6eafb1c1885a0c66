import FunnelTensor
import Testing

@testable import FunnelNN

/// A toy multi-task problem: a shared embedding table (row-sparse gradients) and one dense head
/// per task, each task's loss `Σ (lookup(ids_t)·head_t − target_t)²` over its own rows.
final class PUBProblem {
    let table: Tensor
    let heads: [Tensor]
    let tasks: Int
    var generator: RandomGenerator

    init(tasks: Int, seed: UInt64, sharedTable: Bool = true) {
        var generator = RandomGenerator(seed: seed)
        table = Tensor(shape: [8, 3], scalars: (0..<24).map { _ in 0.3 * generator.nextNormal() }, requiresGradient: true)
        heads = (0..<tasks).map { _ in Tensor(shape: [3], scalars: (0..<3).map { _ in 0.5 + generator.nextUnitFloat() }, requiresGradient: true) }
        self.tasks = tasks
        self.generator = generator
        self.sharedTable = sharedTable
    }

    let sharedTable: Bool

    /// A copy of every parameter's values, to continue elsewhere.
    init(copying other: PUBProblem) {
        table = Tensor(shape: other.table.shape, scalars: other.table.scalars, requiresGradient: true)
        heads = other.heads.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGradient: true) }
        tasks = other.tasks
        generator = other.generator
        sharedTable = other.sharedTable
    }

    var namedParameters: [(name: String, parameter: Tensor)] {
        [("table", table)] + heads.enumerated().map { ("head\($0.offset)", $0.element) }
    }

    /// One batch: each task reads 3 of the table's rows 0..<6 (rows 6 and 7 are never read).
    func gradients() -> TaskGradients {
        let losses = (0..<tasks).map { task -> (name: String, loss: Tensor) in
            let ids = (0..<3).map { _ in Int32(generator.next() % 6) }
            let target = Float(task + 1)
            let rows = sharedTable || task == 0 ? table.embeddingLookup(ids) : Tensor(shape: [3, 3], repeating: 1)
            let error = (rows * heads[task]).sum(alongAxes: [1]) - target
            return ("task\(task)", (error * error).sum())
        }
        return TaskGradients.collect(losses, parameters: namedParameters)
    }

    var loss: Float {
        (0..<tasks).map { task in
            let error = (table * heads[task]).sum(alongAxes: [1]).scalars[0..<6].map { $0 - Float(task + 1) }
            return error.map { $0 * $0 }.reduce(0, +)
        }.reduce(0, +)
    }
}

@Suite struct PUBTests {
    static func adam(_ problem: PUBProblem, learningRate: Float = 0.01) -> OptimizerGroups {
        OptimizerGroups(Adam(namedParameters: problem.namedParameters, learningRate: learningRate))
    }

    /// max_i |α_i(Ĝα)_i − 1| with Ĝ = G/‖G‖_F.
    static func residual(_ gram: [[Double]], _ alpha: [Double]) -> Double {
        let norm = gram.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
        return alpha.indices.map { i in
            abs(alpha[i] * alpha.indices.reduce(0) { $0 + gram[i][$1] / norm * alpha[$1] } - 1)
        }.max()!
    }

    @Test func singleTaskIsAdam() throws {
        let (problem, reference) = (PUBProblem(tasks: 1, seed: 1), PUBProblem(tasks: 1, seed: 1))
        let (optimizer, adam) = (Self.adam(problem), Self.adam(reference))
        let pub = PUB()
        let before = problem.table.scalars + problem.heads[0].scalars
        for step in 0..<15 {
            let gradients = problem.gradients()
            let expected = reference.gradients()
            if step == 0 {
                // The first Adam step moves every touched coordinate by lr·sign(g).
                let table = gradients.gradients[0][0]!.rowSparse!.coalesced()
                try pub.step(gradients, optimizer: optimizer, clipNorm: nil)
                for (position, row) in table.rows.enumerated() {
                    for column in 0..<3 {
                        let index = Int(row) * 3 + column
                        let g = table.values[position * 3 + column]
                        #expect(abs(problem.table.scalars[index] - (before[index] - 0.01 * (g > 0 ? 1 : -1))) < 1e-6)
                    }
                }
                let head = gradients.gradients[0][1]!.dense!.scalars
                for index in 0..<3 {
                    #expect(abs(problem.heads[0].scalars[index] - (before[24 + index] - 0.01 * (head[index] > 0 ? 1 : -1))) < 1e-6)
                }
            } else {
                try pub.step(gradients, optimizer: optimizer, clipNorm: nil)
            }
            expected.accumulate()
            adam.step()
            #expect(pub.weights == [1])
            #expect(problem.table.scalars == reference.table.scalars, "step \(step)")
            #expect(problem.heads[0].scalars == reference.heads[0].scalars, "step \(step)")
        }
    }

    @Test func orthogonalUpdates() {
        let alpha = PUB.solveWeights(gram: [[4, 0], [0, 1]], previous: [1, 1], configuration: .init())
        let root17 = Double(17).squareRoot()
        #expect(abs(alpha[0] - (root17 / 4).squareRoot()) < 1e-6 && abs(alpha[0] - 1.0153) < 1e-4)
        #expect(abs(alpha[1] - root17.squareRoot()) < 1e-6 && abs(alpha[1] - 2.0305) < 1e-4)
        #expect(abs(alpha[0] / alpha[1] - 0.5) < 1e-9)
        #expect(PUB.solveWeights(gram: [[3.5]], previous: [1], configuration: .init()) == [1])
    }

    @Test func solvesRandomPositiveDefiniteGrams() {
        var generator = RandomGenerator(seed: 7)
        var newtonOnly = PUB.Configuration()
        newtonOnly.maximumIterations = 1
        for trial in 0..<40 {
            let count = 2 + trial % 5
            let a = (0..<count).map { _ in (0..<count).map { _ in Double(generator.nextNormal()) } }
            let gram = (0..<count).map { i in
                (0..<count).map { j in (0..<count).reduce(i == j ? 0.05 : 0) { $0 + a[i][$1] * a[j][$1] } }
            }
            for configuration in [PUB.Configuration(), newtonOnly] {
                let alpha = PUB.solveWeights(gram: gram, previous: Array(repeating: 1, count: count), configuration: configuration)
                #expect(alpha.allSatisfy { $0 > 0 })
                #expect(Self.residual(gram, alpha) < 1e-6, "trial \(trial), T = \(count)")
            }
        }
        // Zero or non-finite Grams keep the previous weights.
        #expect(PUB.solveWeights(gram: [[0, 0], [0, 0]], previous: [0.5, 2], configuration: .init()) == [0.5, 2])
        #expect(PUB.solveWeights(gram: [[.nan, 0], [0, 1]], previous: [0.5, 2], configuration: .init()) == [0.5, 2])
    }

    @Test func weightsAreReusedBetweenRecomputations() throws {
        let problem = PUBProblem(tasks: 3, seed: 2)
        let optimizer = Self.adam(problem)
        var configuration = PUB.Configuration()
        configuration.updateFrequency = 4
        let pub = PUB(configuration: configuration)
        var previous: [Float] = []
        for counter in 0..<14 {
            #expect(pub.counter == counter)
            try pub.step(problem.gradients(), optimizer: optimizer, clipNorm: nil)
            let recomputed = counter % 4 == 1
            #expect(pub.recomputes(at: counter) == recomputed)
            if counter == 0 { #expect(pub.weights == [1, 1, 1]) }
            if counter > 0 && !recomputed {
                #expect(pub.weights.map(\.bitPattern) == previous.map(\.bitPattern), "step \(counter)")
            }
            if recomputed { #expect(pub.weights != previous, "step \(counter)") }
            previous = pub.weights
        }
    }

    @Test func rowSparseSharedTableTrains() throws {
        let problem = PUBProblem(tasks: 2, seed: 3)
        let optimizer = Self.adam(problem, learningRate: 0.02)
        let pub = PUB(configuration: { var c = PUB.Configuration(); c.updateFrequency = 5; return c }())
        let (start, unread) = (problem.loss, Array(problem.table.scalars[18...]))
        for _ in 0..<300 { try pub.step(problem.gradients(), optimizer: optimizer, clipNorm: 10) }
        #expect(problem.loss < 0.5 * start, "loss \(start) → \(problem.loss)")
        #expect(pub.weights.allSatisfy { $0.isFinite && $0 > 0 } && pub.weights != [1, 1])
        // Rows 6 and 7 were never read: lazy, untouched.
        #expect(Array(problem.table.scalars[18...]) == unread)
        #expect((optimizer.groups[0].optimizer as! Adam).parameterSteps == [300, 300, 300])
    }

    @Test func resumedPUBContinuesBitIdentically() throws {
        for legacy in [false, true] {
            var configuration = PUB.Configuration()
            configuration.updateFrequency = 3
            configuration.legacyPerTaskDecay = legacy
            let problem = PUBProblem(tasks: 2, seed: 4)
            let optimizer = OptimizerGroups(Adam.adamW(namedParameters: problem.namedParameters, learningRate: 0.01, weightDecay: 0.1))
            let pub = PUB(configuration: configuration)
            for _ in 0..<5 { try pub.step(problem.gradients(), optimizer: optimizer, clipNorm: nil) }

            let resumed = PUBProblem(copying: problem)
            let resumedOptimizer = OptimizerGroups(Adam.adamW(namedParameters: resumed.namedParameters, learningRate: 0.01, weightDecay: 0.1))
            try resumedOptimizer.importState(optimizer.exportState())
            let resumedPUB = PUB(configuration: configuration)
            try resumedPUB.importState(pub.exportState())
            #expect(resumedPUB.exportState() == pub.exportState())
            #expect(resumedPUB.counter == 5 && resumedPUB.weights == pub.weights)
            for _ in 0..<9 {
                try pub.step(problem.gradients(), optimizer: optimizer, clipNorm: 1)
                try resumedPUB.step(resumed.gradients(), optimizer: resumedOptimizer, clipNorm: 1)
            }
            #expect(resumed.table.scalars == problem.table.scalars)
            #expect(resumed.heads.map(\.scalars) == problem.heads.map(\.scalars))
            #expect(resumedPUB.weights.map(\.bitPattern) == pub.weights.map(\.bitPattern))
        }
    }

    @Test func refusesOtherOptimizersAndUnsharedModels() {
        let problem = PUBProblem(tasks: 2, seed: 5)
        let sgd = OptimizerGroups(SGD(namedParameters: problem.namedParameters, learningRate: 0.1))
        #expect { try PUB().step(problem.gradients(), optimizer: sgd, clipNorm: nil) } throws: {
            "\($0)".contains("PUB needs Adam in every optimizer group")
        }
        let unshared = PUBProblem(tasks: 2, seed: 5, sharedTable: false)
        #expect { try PUB().step(unshared.gradients(), optimizer: Self.adam(unshared), clipNorm: nil) } throws: {
            "\($0)".contains("PUB needs shared parameters")
        }
    }
}
