/// An optimizer's state as named arrays, for checkpoints: Float buffers (moments, accumulators)
/// and integer counters (steps, decay counters). Per-parameter entries are keyed
/// `<entry>.<parameter name>`, as `firstMoments.tower.layers.1.weight`.
public struct OptimizerState: Sendable, Equatable {
    public var floats: [String: [Float]] = [:]
    public var integers: [String: [Int64]] = [:]

    public init(floats: [String: [Float]] = [:], integers: [String: [Int64]] = [:]) {
        self.floats = floats
        self.integers = integers
    }

    /// The entries whose keys start with `prefix`, with the prefix removed.
    public func entries(prefixed prefix: String) -> OptimizerState {
        func strip<Value>(_ entries: [String: Value]) -> [String: Value] {
            Dictionary(
                uniqueKeysWithValues: entries.compactMap { key, value in
                    key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), value) : nil
                })
        }
        return OptimizerState(floats: strip(floats), integers: strip(integers))
    }

    /// Adds `other`'s entries with `prefix` before their keys.
    public mutating func merge(_ other: OptimizerState, prefix: String) {
        for (key, values) in other.floats { floats[prefix + key] = values }
        for (key, values) in other.integers { integers[prefix + key] = values }
    }

    /// Copies the named values into `buffer`, or throws naming what is missing or mismatched.
    func restore(_ name: String, into buffer: StateBuffer<Float>) throws {
        let values = try Self.checked(floats[name], name, count: buffer.count)
        for index in values.indices { buffer[index] = values[index] }
    }

    func restore(_ name: String, into buffer: StateBuffer<Int>) throws {
        let values = try Self.checked(integers[name], name, count: buffer.count)
        for index in values.indices { buffer[index] = Int(values[index]) }
    }

    func integers(_ name: String, count: Int) throws -> [Int] {
        try Self.checked(integers[name], name, count: count).map(Int.init)
    }

    private static func checked<Value>(_ values: [Value]?, _ name: String, count: Int) throws
        -> [Value]
    {
        guard let values else {
            throw OptimizerStateError(message: "optimizer state has no '\(name)'")
        }
        guard values.count == count else {
            throw OptimizerStateError(
                message: "optimizer state '\(name)' has \(values.count) values, expected \(count)")
        }
        return values
    }
}

/// A checkpointed optimizer state that does not fit the optimizer: the message names the entry.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Optimizer {
    /// The key of parameter `index`'s entry `name`: `name.<parameter name>`.
    func stateKey(_ name: String, _ index: Int) -> String {
        "\(name).\(names[index])"
    }

    /// Exports one buffer per parameter under `name.<parameter name>`.
    func export(_ buffers: [StateBuffer<Float>], as name: String, into state: inout OptimizerState)
    {
        for (index, buffer) in buffers.enumerated() {
            state.floats[stateKey(name, index)] = buffer.values
        }
    }

    func restore(_ buffers: [StateBuffer<Float>], from name: String, _ state: OptimizerState) throws
    {
        for (index, buffer) in buffers.enumerated() {
            try state.restore(stateKey(name, index), into: buffer)
        }
    }

    /// Exports one counter per parameter under `name.<parameter name>`.
    func export(counters: [Int], as name: String, into state: inout OptimizerState) {
        for (index, counter) in counters.enumerated() {
            state.integers[stateKey(name, index)] = [Int64(counter)]
        }
    }

    func restoreCounters(from name: String, _ state: OptimizerState) throws -> [Int] {
        try names.indices.map { try state.integers(stateKey(name, $0), count: 1)[0] }
    }
}
