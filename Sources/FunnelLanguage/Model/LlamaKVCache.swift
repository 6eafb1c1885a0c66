/// The keys and values a Llama decoder has computed for the positions it has seen (llama.cpp's
/// `llama_kv_cache`), so generation feeds one new token at a time instead of the whole
/// sequence again.
///
/// Per layer, keys and values are `[positions × keyValueHeads × headDimension]`, row-major;
/// keys are stored after RoPE (rotated by their own position), so a later query only has to be
/// rotated by its position. The arrays grow as positions are appended; ``reset()`` empties
/// them, keeping their capacity.
public struct LlamaKVCache: Sendable {
    /// `keyValueHeadCount · headDimension`: the values one position adds per layer to each of
    /// keys and values.
    public let rowWidth: Int
    /// The number of positions stored (the position the next token will take).
    public private(set) var count: Int = 0
    /// Per layer, `[count × rowWidth]` rotated keys.
    public private(set) var keys: [[Float]]
    /// Per layer, `[count × rowWidth]` values.
    public private(set) var values: [[Float]]

    /// An empty cache for a model of `configuration`.
    public init(configuration: LlamaConfiguration) {
        rowWidth = configuration.keyValueSize
        keys = Array(repeating: [], count: configuration.layerCount)
        values = Array(repeating: [], count: configuration.layerCount)
    }

    /// The number of layers.
    public var layerCount: Int { keys.count }

    /// The bytes the stored keys and values take: `2 · layers · count · rowWidth · 4`
    /// (SmolLM2-135M: 46 080 bytes per position).
    public var byteCount: Int { 2 * keys.count * count * rowWidth * MemoryLayout<Float>.size }

    /// Forgets every position (the capacity is kept for the next sequence).
    public mutating func reset() {
        count = 0
        for layer in 0..<keys.count {
            keys[layer].removeAll(keepingCapacity: true)
            values[layer].removeAll(keepingCapacity: true)
        }
    }

    /// Drops the positions from `newCount` on (e.g. to re-run the last prompt token).
    public mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "Funnel: truncating a cache of \(count) positions to \(newCount)")
        count = newCount
        for layer in 0..<keys.count {
            keys[layer].removeSubrange((newCount * rowWidth)...)
            values[layer].removeSubrange((newCount * rowWidth)...)
        }
    }

    /// Appends `positions` rows of keys and values to `layer`, read `stride` floats apart from
    /// `keys` and `values` (the key and value columns of a stacked projection). The caller
    /// appends to every layer and then calls ``advance(by:)``.
    mutating func append(
        layer: Int, positions: Int, keys newKeys: UnsafePointer<Float>, values newValues: UnsafePointer<Float>, stride: Int
    ) {
        // Plain appends: the arrays grow geometrically (an exact `reserveCapacity` per step
        // would copy the whole cache for every generated token).
        for position in 0..<positions {
            keys[layer].append(contentsOf: UnsafeBufferPointer(start: newKeys + position * stride, count: rowWidth))
            values[layer].append(contentsOf: UnsafeBufferPointer(start: newValues + position * stride, count: rowWidth))
        }
    }

    /// Records that every layer now holds `positions` more positions.
    mutating func advance(by positions: Int) {
        count += positions
    }
}
