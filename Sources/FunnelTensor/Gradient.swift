import CFunnelKernels

/// Whether operations record how they were computed. A task-local value, so a no-gradient
/// scope in one task (evaluation) never switches gradients off in another (training).
public enum GradientMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording operations: results of operations inside have no gradient
/// history and do not require gradients (inference, optimizer updates, evaluation).
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradientMode.$isEnabled.withValue(false) { try body() }
}

/// How a tensor was computed: its inputs and the rule mapping the output's gradient to the
/// gradients of the inputs (`nil` where an input gets none).
struct GradientNode {
    let inputs: [Tensor]
    let rule: Rule

    enum Rule {
        case reading((Tensor) -> [Tensor?])
        /// The second argument says whether the rule may write into the output's gradient:
        /// nothing else holds it or its memory.
        case overwriting((Tensor, Bool) -> [Tensor?])
    }

    init(inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        rule = .reading(backward)
    }

    init(inputs: [Tensor], overwriting backward: @escaping (Tensor, Bool) -> [Tensor?]) {
        self.inputs = inputs
        rule = .overwriting(backward)
    }
}

extension Tensor {
    /// Wraps freshly computed values as the result of an operation on `inputs`, recording
    /// `backward` when gradients are on and an input requires one. Forward and backward of every
    /// primitive sit side by side in the operation that calls this.
    static func result(
        _ output: Tensor, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        if GradientMode.isEnabled && inputs.contains(where: { $0.requiresGradient }) {
            output.requiresGradient = true
            output.node = GradientNode(inputs: inputs, backward: backward)
        }
        return output
    }

    /// ``result(_:inputs:backward:)`` for a rule that may reuse the output's gradient as its
    /// own result when the engine passes `exclusive` (no one else holds that gradient or its
    /// memory): writing where the gradient was just computed saves a fresh buffer's misses.
    static func result(
        _ output: Tensor, inputs: [Tensor], overwriting backward: @escaping (Tensor, _ exclusive: Bool) -> [Tensor?]
    ) -> Tensor {
        if GradientMode.isEnabled && inputs.contains(where: { $0.requiresGradient }) {
            output.requiresGradient = true
            output.node = GradientNode(inputs: inputs, overwriting: backward)
        }
        return output
    }

    /// The same values with no gradient history: a constant for whatever is computed from it
    /// (stop-gradient; IPS weights need it). Shares memory with this tensor.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Back-propagates from this scalar: adds d(self)/d(leaf) to the ``gradient`` of every leaf
    /// that requires one. Gradients accumulate across calls until reset with ``zeroGradient()``
    /// or by assigning `nil`; a tensor used twice receives the sum of both contributions.
    ///
    /// As PyTorch, the recorded graph is released as the pass goes (each intermediate's inputs and
    /// rule are dropped once used), so activations are freed early; pass `retainingGraph: true`
    /// to back-propagate through the same graph again.
    /// - Parameter seed: the gradient of the final objective with respect to this tensor;
    ///   defaults to 1 and must be given for a tensor that is not a scalar.
    public func backward(seed: Tensor? = nil, retainingGraph: Bool = false) {
        precondition(
            seed != nil || count == 1,
            "Funnel: backward() from a tensor of shape \(shape) needs a seed gradient")
        Self.backward(from: [(self, seed ?? Tensor(shape: shape, repeating: 1))], retainingGraph: retainingGraph)
    }

    /// One backward pass from several outputs at once, each with its seed gradient: shared parts
    /// of their graphs are visited once (concurrent branches with several outputs use this).
    /// Inside a concurrent branch the leaves' gradients are held by its ``BranchGradients``.
    static func backward(from roots: [(output: Tensor, seed: Tensor)], retainingGraph: Bool) {
        let roots = roots.filter { $0.output.requiresGradient }
        guard !roots.isEmpty else { return }
        let branch = BranchGradients.current
        let order = topologicalOrder(from: roots.map(\.output))
        var pending: [ObjectIdentifier: Tensor] = [:]
        // A pending gradient that no one else holds, nor its memory (a sum this pass allocated, or
        // a rule's result handed over whole), takes later contributions in place: the same bits
        // as `sum + gradient`, without a new buffer.
        func add(_ gradient: Tensor, to key: ObjectIdentifier) {
            guard var existing = pending.removeValue(forKey: key) else {
                pending[key] = gradient
                return
            }
            if isKnownUniquelyReferenced(&existing) && isKnownUniquelyReferenced(&existing.storage) {
                funnel_add_in_place(gradient.storage.pointer, existing.storage.pointer, existing.count)
            } else {
                existing = existing + gradient
            }
            pending[key] = existing
        }
        for (output, seed) in roots { add(seed, to: ObjectIdentifier(output)) }
        withoutGradients {
            for tensor in order.reversed() {
                guard var outputGradient = pending.removeValue(forKey: ObjectIdentifier(tensor))
                else { continue }
                guard let node = tensor.node else {
                    if let branch {
                        branch.hold(outputGradient, for: tensor)
                    } else {
                        tensor.accumulate(&outputGradient)
                    }
                    continue
                }
                var inputGradients: [Tensor?]
                switch node.rule {
                case .reading(let rule): inputGradients = rule(outputGradient)
                case .overwriting(let rule):
                    let exclusive =
                        isKnownUniquelyReferenced(&outputGradient) && isKnownUniquelyReferenced(&outputGradient.storage)
                    inputGradients = rule(outputGradient, exclusive)
                }
                if !retainingGraph { tensor.node = nil }
                for (index, input) in node.inputs.enumerated() where index < inputGradients.count {
                    // Taken out of the list, so that a later input's contribution meets the first
                    // one held by `pending` alone (two uses of one tensor add in place).
                    guard let gradient = inputGradients[index] else { continue }
                    inputGradients[index] = nil
                    guard input.requiresGradient else { continue }
                    precondition(
                        gradient.shape == input.shape,
                        "Funnel: gradient of shape \(gradient.shape) for an input of shape \(input.shape)")
                    add(gradient, to: ObjectIdentifier(input))
                }
            }
        }
    }

    /// Resets the accumulated gradients, dense and row-sparse.
    public func zeroGradient() {
        gradient = nil
        sparseGradient = nil
    }

    // Later accumulation writes in place, so the first gradient is kept only when nothing else
    // can see it: no other reference to the tensor, none to its memory (a rule may return a
    // reshape of another gradient, or the same gradient for two inputs). Otherwise it is copied.
    // Keeping it saves a copy of every parameter's gradient per step.
    func accumulate(_ incoming: inout Tensor) {
        if let gradient {
            funnel_add_in_place(incoming.storage.pointer, gradient.storage.pointer, count)
        } else if isKnownUniquelyReferenced(&incoming) && isKnownUniquelyReferenced(&incoming.storage) {
            gradient = incoming
        } else {
            gradient = incoming.copy()
        }
    }

    /// Every tensor the roots depend on through recorded operations, inputs before outputs.
    private static func topologicalOrder(from roots: [Tensor]) -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = []
        // Iterative depth-first search: deep graphs (long sequences) must not overflow the stack.
        var stack: [(tensor: Tensor, expanded: Bool)] = roots.reversed().map { ($0, false) }
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.requiresGradient {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }
}
