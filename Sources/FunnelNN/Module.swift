import FunnelTensor

/// A layer or a model: holds parameters (tensors that require gradients) and sub-modules as
/// stored properties, and finds them by reflection.
///
/// Parameter names follow the property path — `ctrTower.layers.0.weight` — so they are stable
/// across runs and usable as checkpoint keys. Subclasses store `Tensor`, `Module`, arrays and
/// optionals of them; nothing needs registering.
///
/// ```swift
/// final class Tower: Module {
///     let layers: [Linear]
///     init(...) { layers = ...; super.init() }
/// }
/// ```
open class Module {
    /// Whether the module is in training mode (dropout active) or evaluation mode.
    public private(set) var isTraining = true
    /// The tensors this module registered as buffers (``registerBuffer(_:)``).
    private var bufferIdentifiers: Set<ObjectIdentifier> = []

    public init() {}

    /// Marks a stored tensor that does not require gradients as *state*: a buffer (BatchNorm's
    /// running statistics). Buffers are not parameters (no gradient, no optimizer state), but
    /// checkpoints save and load them with the parameters, so a resumed run continues from the
    /// same statistics. Constant tensors that are not registered (a fixed random projection, a
    /// mask) are rebuilt from the seed and stay out of checkpoints.
    public func registerBuffer(_ tensor: Tensor) {
        precondition(!tensor.requiresGradient, "Funnel: a buffer does not require gradients")
        bufferIdentifiers.insert(ObjectIdentifier(tensor))
    }

    /// Every registered buffer of this module and its sub-modules, with its path name, in
    /// declaration order.
    public func namedBuffers() -> [(name: String, buffer: Tensor)] {
        let registered = ([self] + namedModules().map(\.module)).reduce(into: Set<ObjectIdentifier>()) {
            $0.formUnion($1.bufferIdentifiers)
        }
        guard !registered.isEmpty else { return [] }
        return namedTensors().filter { registered.contains(ObjectIdentifier($0.tensor)) }.map { ($0.name, $0.tensor) }
    }

    /// What a checkpoint holds: every parameter and every buffer, with path names.
    public func namedState() -> [(name: String, tensor: Tensor)] {
        namedParameters().map { ($0.name, $0.parameter) } + namedBuffers().map { ($0.name, $0.buffer) }
    }

    /// Every parameter with its path name, in declaration order.
    public func namedParameters() -> [(name: String, parameter: Tensor)] {
        namedTensors().filter { $0.tensor.requiresGradient }.map { ($0.name, $0.tensor) }
    }

    /// Every parameter, in declaration order.
    public func parameters() -> [Tensor] {
        namedParameters().map(\.parameter)
    }

    /// The number of trainable values.
    public var parameterCount: Int {
        parameters().reduce(0) { $0 + $1.count }
    }

    /// Every tensor held (parameters and constant buffers) with its path name.
    public func namedTensors() -> [(name: String, tensor: Tensor)] {
        var result: [(String, Tensor)] = []
        var seen = Set<ObjectIdentifier>()
        visit(prefix: "") { name, value in
            if let tensor = value as? Tensor, seen.insert(ObjectIdentifier(tensor)).inserted {
                result.append((name, tensor))
            }
        }
        return result
    }

    /// Direct and indirect sub-modules with their path names (not including this one).
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(String, Module)] = []
        visit(prefix: "") { name, value in
            if let module = value as? Module { result.append((name, module)) }
        }
        return result
    }

    /// Switches this module and every sub-module to training (`true`) or evaluation mode.
    public func train(_ training: Bool = true) {
        isTraining = training
        for (_, module) in namedModules() { module.isTraining = training }
    }

    /// This module and its sub-modules that draw random numbers (``RandomLayer``: dropout, …).
    /// The trainer reseeds them before every step from (run seed, epoch, step).
    public func randomLayers() -> [any RandomLayer] {
        ([self] + namedModules().map(\.module)).compactMap { $0 as? any RandomLayer }
    }

    /// Resets the gradients of every parameter.
    public func zeroGradients() {
        for parameter in parameters() { parameter.zeroGradient() }
    }

    /// Walks stored properties depth-first, calling `body` for every tensor and module met.
    private func visit(prefix: String, _ body: (String, Any) -> Void) {
        var mirror: Mirror? = Mirror(reflecting: self)
        var children: [(String, Any)] = []
        // Superclass properties first, so names follow declaration order from the base down.
        var levels: [Mirror] = []
        while let current = mirror {
            levels.append(current)
            mirror = current.superclassMirror
        }
        for level in levels.reversed() {
            for child in level.children {
                guard let label = child.label, label != "isTraining", label != "bufferIdentifiers" else { continue }
                children.append((label, child.value))
            }
        }
        for (label, value) in children {
            Module.visitValue(value, name: prefix + label, body)
        }
    }

    private static func visitValue(_ value: Any, name: String, _ body: (String, Any) -> Void) {
        switch value {
        case let tensor as Tensor:
            body(name, tensor)
        case let module as Module:
            body(name, module)
            module.visit(prefix: name + ".", body)
        default:
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .optional:
                if let wrapped = mirror.children.first { visitValue(wrapped.value, name: name, body) }
            case .collection:
                for (index, element) in mirror.children.enumerated() {
                    visitValue(element.value, name: "\(name).\(index)", body)
                }
            case .dictionary:
                let entries = mirror.children.compactMap { entry -> (String, Any)? in
                    let pair = Array(Mirror(reflecting: entry.value).children)
                    guard pair.count == 2 else { return nil }
                    return ("\(pair[0].value)", pair[1].value)
                }
                for (key, element) in entries.sorted(by: { $0.0 < $1.0 }) {
                    visitValue(element, name: "\(name).\(key)", body)
                }
            default:
                break
            }
        }
    }
}

/// A layer that draws random numbers while training (dropout, noise): its generator is derived
/// anew for every step, never carried from step to step, so checkpoints need not hold it.
public protocol RandomLayer: Module {
    /// Derives the layer's generator from a step's seed and the layer's own seed.
    func reseed(_ stepSeed: UInt64)
}
