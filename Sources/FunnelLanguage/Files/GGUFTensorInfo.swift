/// One tensor's entry in a GGUF file's tensor-info table (ggml `docs/gguf.md`,
/// `gguf_tensor_info_t`): its name, its dimensions in ggml order, its ggml type and the offset
/// of its data from the start of the data section.
///
/// Dimensions are ggml's `ne`: `dimensions[0]` is the fastest-varying (contiguous) axis. A
/// matrix with `dimensions == [columns, rows]` is stored row-major as `rows` rows of `columns`
/// elements; e.g. SmolLM2's `token_embd.weight` has `dimensions == [576, 49152]`: 49 152
/// token rows of 576 values, and ``GGUFFile/floats(_:)`` returns them in that order.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// `ne[0]`, `ne[1]`, …: the element counts, fastest-varying first (1 to 4 of them).
    public let dimensions: [Int]
    /// The storage type.
    public let type: GGMLType
    /// The data's offset from the start of the data section, as stored (a multiple of the
    /// file's alignment).
    public let offset: Int
    /// The data's offset from the start of the file.
    public let fileOffset: Int
    /// Where this entry starts in the file's tensor-info table (for refusals).
    public let infoOffset: Int

    /// The product of the dimensions (checked against overflow when the file was read).
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// `ne[0]`: the length of one row, the contiguous axis.
    public var rowLength: Int { dimensions.first ?? 1 }

    /// The number of rows: the product of `ne[1]`, `ne[2]`, … (1 for a vector).
    public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }

    /// The bytes of the data, where the type's layout is known.
    public var byteCount: Int? { type.byteCount(elementCount: elementCount) }

    /// The bytes of one row, where the type's layout is known.
    public var rowByteCount: Int? { type.byteCount(elementCount: rowLength) }

    /// The field name refusals use for an attribute of this tensor: `tensor blk.0.attn_q.weight: type`.
    func field(_ attribute: String) -> String { "tensor \(name): \(attribute)" }
}
