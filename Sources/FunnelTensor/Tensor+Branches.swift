/// Independent sub-networks run side by side: each branch forward and backward on its own
/// thread, instead of every small operation of every branch split across all threads.
///
/// The towers of a multi-task model, the experts of a mixture, the long- and short-sequence
/// paths of an attention model are independent given their inputs; on two cores a tower per
/// core keeps each core in one GEMM after another with no synchronisation between operations.
extension Tensor {
    /// Runs `bodies[i](inputs[i])` for every branch concurrently (one task per branch on the
    /// kernels' thread pool; operations inside a branch run on that branch's thread) and returns
    /// the outputs in branch order. The backward pass runs the branches' backward passes
    /// concurrently too and sums the gradients of an input given to several branches in branch
    /// order, so results depend only on the inputs, never on which thread ran which branch, and
    /// equal a sequential run (one thread) bit for bit.
    ///
    /// Branches may share inputs (an input may be the same tensor for every branch), parameters
    /// and embedding tables: each branch's backward pass holds the gradients of its parameters
    /// and table rows, which are added after all branches, branch after branch
    /// (``BranchGradients``), so that the sums do not depend on which thread ran which branch.
    ///
    /// Shapes: any; `inputs.count == bodies.count`.
    public static func concurrently(_ inputs: [Tensor], _ bodies: [(Tensor) -> Tensor]) -> [Tensor] {
        precondition(inputs.count == bodies.count, "Funnel: \(inputs.count) inputs for \(bodies.count) branches")
        // The bodies do not throw, so neither does the general form.
        return try! concurrently(inputs.map { [$0] }, bodies.map { body in { [body($0[0])] } }).map { $0[0] }
    }

    /// The general form of ``concurrently(_:_:)``: branch `i` reads the tensors `inputs[i]`
    /// (through detached views whose gradients flow back to them) and returns any number of
    /// outputs. Everything else a branch reads that requires a gradient must be its own
    /// parameters: a branch must not read another tensor of the enclosing graph except through
    /// `inputs`. Rethrows the first branch's error (in branch order) after all have run.
    public static func concurrently(
        _ inputs: [[Tensor]], _ bodies: [([Tensor]) throws -> [Tensor]]
    ) throws -> [[Tensor]] {
        precondition(inputs.count == bodies.count, "Funnel: \(inputs.count) input lists for \(bodies.count) branches")
        let recording = GradientMode.isEnabled
        // Each branch reads detached views of its inputs: its graph ends there, and the views'
        // gradients are what the branch hands back to the inputs.
        let views = inputs.map { branch in
            branch.map { input in
                let view = input.detached()
                view.requiresGradient = recording && input.requiresGradient
                return view
            }
        }
        let outputs = try runConcurrently(count: bodies.count, recording: recording) { branch in
            try bodies[branch](views[branch])
        }
        guard recording, outputs.contains(where: { $0.contains(where: \.requiresGradient) }) else { return outputs }
        return join(outputs, inputs: inputs.flatMap { $0 }, views: views)
    }

    /// Runs `body(branch)` for every branch on the thread pool, each with gradients recorded as
    /// on the calling thread.
    private static func runConcurrently<Output>(
        count: Int, recording: Bool, _ body: (Int) throws -> Output
    ) throws -> [Output] {
        var results = [Result<Output, any Error>?](repeating: nil, count: count)
        guard !Compute.branchesRunInOrder else {
            return try (0..<count).map { try body($0) }
        }
        results.withUnsafeMutableBufferPointer { results in
            Compute.parallelFor(tasks: count) { branch in
                // A pool thread does not inherit the caller's task-local gradient mode.
                results[branch] = GradientMode.$isEnabled.withValue(recording) { Result { try body(branch) } }
            }
        }
        return try results.map { try $0!.get() }
    }

    /// One recorded node for all branches, a one-value join that every output hangs from: the
    /// engine meets the outputs first, each handing its gradient to the join, then the join once,
    /// whose backward runs the branches' backward passes concurrently. The outputs keep the
    /// branches' memory (nothing is copied either way).
    private static func join(_ outputs: [[Tensor]], inputs: [Tensor], views: [[Tensor]]) -> [[Tensor]] {
        let seeds = BranchSeeds(outputs)
        let junction = Tensor.uninitialized([1])
        junction.requiresGradient = true
        junction.node = GradientNode(inputs: inputs) { _ in
            let held = try! runConcurrently(count: outputs.count, recording: false) { branch in
                for view in views[branch] { view.gradient = nil }
                let roots = zip(outputs[branch], seeds.values[branch]).compactMap { output, seed in seed.map { (output, $0) } }
                let gradients = BranchGradients()
                // The branch's graph is kept: it lives as long as this node, which the engine
                // drops after use unless the caller retains the graph for another pass.
                BranchGradients.$current.withValue(gradients) { Tensor.backward(from: roots, retainingGraph: true) }
                return gradients
            }
            let local = Set(views.joined().map(ObjectIdentifier.init))
            for gradients in held { gradients.apply(local: local) }
            seeds.clear()
            return views.flatMap { $0 }.map { view in
                defer { view.gradient = nil }
                return view.gradient
            }
        }
        let noGradient = Tensor.zeros([1])
        return outputs.enumerated().map { branch, list in
            list.enumerated().map { index, output in
                let joined = Tensor(shape: output.shape, storage: output.storage)
                joined.requiresGradient = true
                joined.node = GradientNode(inputs: [junction]) { gradient in
                    seeds.values[branch][index] = gradient
                    return [noGradient]
                }
                return joined
            }
        }
    }
}

/// The gradients of the outputs of concurrent branches, gathered as the backward pass reaches
/// them, until the branches' own backward passes run (one engine thread writes them).
private final class BranchSeeds {
    var values: [[Tensor?]]

    init(_ outputs: [[Tensor]]) {
        values = outputs.map { $0.map { _ in nil } }
    }

    func clear() {
        for branch in values.indices { values[branch] = values[branch].map { _ in nil } }
    }
}
