import FunnelTensor

/// Updates parameters from their accumulated gradients.
///
/// An optimizer is built over named parameters (module paths, from ``Module/namedParameters()``)
/// and keeps its state per parameter (and, for embedding tables, per row), exported under the
/// parameters' names. ``step()`` applies the gradients found on the parameters — dense
/// ones to every value, row-sparse ones (from ``Tensor/embeddingLookup(_:)``) only to the touched
/// rows (lazy updates) — and then clears them. A subclass implements one element-wise rule,
/// ``update(_:values:gradient:offset:count:row:)``; this class walks the dense tensor or the
/// touched rows and splits large updates across the kernels' threads (rows and elements are
/// independent, so the result does not depend on the split).
open class Optimizer {
    /// The parameters, in a fixed order.
    public let parameters: [Tensor]
    /// The parameters' names, in the same order; they key the exported state.
    public let names: [String]
    /// The step size; a schedule may change it between steps.
    public var learningRate: Float
    /// Steps taken so far.
    public internal(set) var stepCount = 0

    public init(namedParameters: [(name: String, parameter: Tensor)], learningRate: Float) {
        precondition(
            Set(namedParameters.map(\.name)).count == namedParameters.count,
            "Funnel: optimizer parameter names must be distinct")
        parameters = namedParameters.map(\.parameter)
        names = namedParameters.map(\.name)
        self.learningRate = learningRate
    }

    /// Parameters named by their position: "0", "1", …
    public convenience init(parameters: [Tensor], learningRate: Float) {
        self.init(namedParameters: Self.positionNames(parameters), learningRate: learningRate)
    }

    /// Names parameters by their position: "0", "1", …
    static func positionNames(_ parameters: [Tensor]) -> [(name: String, parameter: Tensor)] {
        parameters.enumerated().map { (name: String($0.offset), parameter: $0.element) }
    }

    /// Applies every parameter's gradient and clears it.
    open func step() {
        stepCount += 1
        var dense: [DenseUpdate] = []
        var pieces: [(index: Int, width: Int, coalesce: () -> (rows: [Int32], values: [Float]))] = []
        // A parameter with both kinds of gradient takes its two updates one after the other.
        var afterDense: [(index: Int, gradient: RowSparseGradient)] = []
        for (index, parameter) in parameters.enumerated() {
            if let gradient = parameter.gradient {
                precondition(gradient.shape == parameter.shape, "Funnel: gradient shape \(gradient.shape) for parameter \(parameter.shape)")
                beginUpdate(index, sparse: false)
                dense.append(DenseUpdate(index: index, parameter: parameter, gradient: gradient))
            }
            guard let sparse = parameter.sparseGradient else { continue }
            if parameter.gradient != nil {
                afterDense.append((index, sparse))
                continue
            }
            beginUpdate(index, sparse: true)
            let parts = Self.tasks(for: sparse.rows.count * sparse.width) == 1 ? 1 : Compute.threadCount * 4
            pieces += sparse.coalescingPieces(parts).map { (index, sparse.width, $0) }
        }
        // One pool call for everything: pieces of the tables' coalescing, each followed by its rows'
        // updates, and the dense values in equal chunks that may span parameters. Rows of small
        // fields stay cached and rows of large ones miss, and small parameters were single tasks:
        // many tasks taken as threads finish keep the threads equally busy. Rows and values are
        // independent, so the split changes no bit.
        let total = dense.reduce(0) { $0 + $1.count }
        let chunks = total == 0 ? 0 : Self.tasks(for: total) == 1 ? 1 : Compute.threadCount * 4
        Compute.parallelFor(tasks: pieces.count + chunks) { task in
            guard task >= pieces.count else {
                let (index, width, coalesce) = pieces[task]
                let (rows, values) = coalesce()
                updateRows(index, rows: rows, gradient: values, width: width, tasks: 1)
                return
            }
            var range = Compute.range(of: task - pieces.count, tasks: chunks, count: total)
            var start = 0
            for part in dense where !range.isEmpty {
                defer { start += part.count }
                guard range.lowerBound < start + part.count else { continue }
                let offset = range.lowerBound - start
                let count = Swift.min(range.count, part.count - offset)
                update(
                    part.index, values: part.values + offset, gradient: part.gradient + offset, offset: offset,
                    count: count, row: nil)
                range = (range.lowerBound + count)..<range.upperBound
            }
        }
        for (index, sparse) in afterDense {
            beginUpdate(index, sparse: true)
            let (rows, values) = sparse.coalesced()
            let tasks = Self.tasks(for: rows.count * sparse.width) == 1 ? 1 : Compute.threadCount * 4
            updateRows(index, rows: rows, gradient: values, width: sparse.width, tasks: tasks)
        }
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Updates parameter `index`'s distinct `rows` from their coalesced gradients, in `tasks` shares.
    private func updateRows(_ index: Int, rows: [Int32], gradient: [Float], width: Int, tasks: Int) {
        guard !rows.isEmpty else { return }
        parameters[index].withUnsafeMutableBufferPointer { values in
            gradient.withUnsafeBufferPointer { gradient in
                rows.withUnsafeBufferPointer { rows in
                    let (values, gradient, count) = (values.baseAddress!, gradient.baseAddress!, rows.count)
                    let rows = rows.baseAddress!
                    Compute.parallelFor(tasks: tasks) { task in
                        let range = Compute.range(of: task, tasks: tasks, count: count)
                        updateRows(
                            index, values: values, gradient: gradient + range.lowerBound * width,
                            rows: rows + range.lowerBound, count: range.count, width: width)
                    }
                }
            }
        }
    }

    /// The state to checkpoint (subclasses add theirs to the step count).
    open func exportState() -> OptimizerState {
        OptimizerState(integers: ["stepCount": [Int64(stepCount)]])
    }

    /// Restores a checkpointed state; throws naming a missing or mismatched entry.
    open func importState(_ state: OptimizerState) throws {
        stepCount = try state.integers("stepCount", count: 1)[0]
    }

    /// Called once per parameter and step before its updates (bias corrections, decay decisions):
    /// for every parameter with a dense gradient before any dense update, then for each one with
    /// a row-sparse gradient before its row updates. A subclass keeps what it decides per index.
    open func beginUpdate(_ index: Int, sparse: Bool) {}

    /// Updates `count` values of parameter `index` starting at element `offset` (where its state
    /// lives too); `row` is the table row for a row-sparse update, `nil` for a dense one.
    open func update(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, offset: Int, count: Int,
        row: Int?
    ) {
        fatalError("\(Self.self) must implement update")
    }

    /// Updates `count` distinct table rows of parameter `index`: row `rows[i]` of `values` with
    /// gradient row `i`. The default calls ``update(_:values:gradient:offset:count:row:)`` per
    /// row; a rule with a row kernel overrides this to save the per-row calls.
    open func updateRows(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
        rows: UnsafePointer<Int32>, count: Int, width: Int
    ) {
        for position in 0..<count {
            let row = Int(rows[position])
            update(
                index, values: values + row * width, gradient: gradient + position * width, offset: row * width,
                count: width, row: row)
        }
    }

    /// One state buffer per parameter, the parameter's size, filled with `value`.
    func stateBuffers(repeating value: Float = 0) -> [StateBuffer<Float>] {
        parameters.map { StateBuffer(count: $0.count, repeating: value) }
    }

    /// Splits updates of more than 32k values across the kernels' threads.
    static func tasks(for count: Int) -> Int {
        count < 1 << 15 ? 1 : Compute.threadCount
    }
}

extension Optimizer {
    /// Scales the gradients of `parameters` so that their global L2 norm is at most
    /// `maximumNorm` (Pascanu et al., ICML 2013); returns the norm before clipping. Row-sparse
    /// gradients count with duplicate rows summed. ``clipGradientNorm(_:)`` and
    /// ``OptimizerGroups/clipGradientNorm(_:)`` both clip through this function.
    @discardableResult
    public static func clipGradientNorm(of parameters: [Tensor], to maximumNorm: Float) -> Float {
        let norm = Float(squaredGradientNorm(of: parameters).squareRoot())
        guard norm > maximumNorm, norm > 0 else { return norm }
        scaleGradients(of: parameters, by: maximumNorm / norm)
        return norm
    }

    /// The sum of the squares of every gradient value of `parameters` (row-sparse gradients
    /// with duplicate rows summed), in Double.
    public static func squaredGradientNorm(of parameters: [Tensor]) -> Double {
        var squares = 0.0
        for parameter in parameters {
            parameter.gradient?.withUnsafeBufferPointer { values in
                for value in values { squares += Double(value) * Double(value) }
            }
            if let sparse = parameter.sparseGradient {
                for value in sparse.coalesced().values { squares += Double(value) * Double(value) }
            }
        }
        return squares
    }

    /// Multiplies every gradient of `parameters`, dense and row-sparse, by `scale`.
    public static func scaleGradients(of parameters: [Tensor], by scale: Float) {
        for parameter in parameters {
            parameter.gradient?.withUnsafeMutableBufferPointer { values in
                for index in values.indices { values[index] *= scale }
            }
            parameter.sparseGradient?.scale(by: scale)
        }
    }

    /// Scales this optimizer's gradients so that their global L2 norm is at most `maximumNorm`;
    /// returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(_ maximumNorm: Float) -> Float {
        Self.clipGradientNorm(of: parameters, to: maximumNorm)
    }
}

/// One parameter's dense update in ``Optimizer/step()``: pointers to its values and gradient,
/// which stay valid while the optimizer holds the parameter and the step holds the gradient.
private struct DenseUpdate {
    let index: Int
    let values: UnsafeMutablePointer<Float>
    let gradient: UnsafePointer<Float>
    let count: Int
    /// Keeps the gradient's memory alive for the pointer.
    let holder: Tensor

    init(index: Int, parameter: Tensor, gradient: Tensor) {
        self.index = index
        values = parameter.withUnsafeMutableBufferPointer { $0.baseAddress! }
        self.gradient = gradient.withUnsafeBufferPointer { $0.baseAddress! }
        count = parameter.count
        holder = gradient
    }
}

/// Optimizer state that stays in place: pointers into it are stable, so updates of disjoint
/// rows can run on several threads.
public final class StateBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int

    public init(count: Int, repeating value: Element) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: value, count: count)
    }

    deinit { pointer.deallocate() }

    public subscript(index: Int) -> Element {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// A copy of the values.
    public var values: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
