/// An optimizer's state as named arrays, for checkpoints: Float buffers (moments, accumulators)
/// and integer counters (steps, decay counters).
public struct OptimizerState: Sendable, Equatable {
    public var floats: [String: [Float]] = [:]
    public var integers: [String: [Int64]] = [:]

    public init(floats: [String: [Float]] = [:], integers: [String: [Int64]] = [:]) {
        self.floats = floats
        self.integers = integers
    }

    /// Copies the named values into `buffer`, or throws naming what is missing or mismatched.
    func restore(_ name: String, into buffer: StateBuffer<Float>) throws {
        guard let values = floats[name], values.count == buffer.count else {
            throw OptimizerStateError(message: "optimizer state '\(name)' is missing or has the wrong size (expected \(buffer.count) values)")
        }
        for index in values.indices { buffer[index] = values[index] }
    }

    func restore(_ name: String, into buffer: StateBuffer<Int>) throws {
        guard let values = integers[name], values.count == buffer.count else {
            throw OptimizerStateError(message: "optimizer state '\(name)' is missing or has the wrong size (expected \(buffer.count) values)")
        }
        for index in values.indices { buffer[index] = Int(values[index]) }
    }

    func integers(_ name: String, count: Int) throws -> [Int] {
        guard let values = integers[name], values.count == count else {
            throw OptimizerStateError(message: "optimizer state '\(name)' is missing or has the wrong size (expected \(count) values)")
        }
        return values.map(Int.init)
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Optimizer {
    static func export(_ buffers: [StateBuffer<Float>], as name: String, into state: inout OptimizerState) {
        for (index, buffer) in buffers.enumerated() { state.floats["\(name).\(index)"] = buffer.values }
    }

    static func restore(_ buffers: [StateBuffer<Float>], from name: String, _ state: OptimizerState) throws {
        for (index, buffer) in buffers.enumerated() { try state.restore("\(name).\(index)", into: buffer) }
    }
}
