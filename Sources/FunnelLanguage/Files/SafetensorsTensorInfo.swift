/// One tensor's entry in a safetensors header (the format's README: `"name": {"dtype": …,
/// "shape": […], "data_offsets": [begin, end]}`), checked against the file.
///
/// `shape` is row-major with the last axis contiguous (PyTorch order, the reverse of GGUF's
/// `ne`): all-MiniLM-L6-v2's `embeddings.word_embeddings.weight` has `shape == [30522, 384]`,
/// 30 522 rows of 384 values.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. `embeddings.word_embeddings.weight`.
    public let name: String
    /// The dtype as written, e.g. `F32`.
    public let dtype: String
    /// The shape, outermost axis first (may be empty: a scalar).
    public let shape: [Int]
    /// `data_offsets`: the byte range relative to the end of the header.
    public let dataOffsets: Range<Int>
    /// The byte range in the file.
    public let fileRange: Range<Int>

    /// The product of the shape (1 for a scalar; checked against overflow when read).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes per element of each dtype the format defines.
    static let elementByteCounts: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]
}
