/// A ggml tensor type (`ggml_type` in ggml's `docs/gguf.md` and `ggml.h`), as a GGUF tensor
/// info stores it: a little-endian `uint32` id. Every id ggml has assigned has a name here, so
/// that a type Funnel cannot dequantise is refused by name (`Q4_K (12)`), not by number.
///
/// The storage layout — elements per block and bytes per block — is known for the types
/// whose size is fixed by the spec (plain, legacy and K quantisations); only F32, F16, BF16,
/// Q4_0, Q4_1 and Q8_0 can be dequantised (``GGMLQuantisation``).
public struct GGMLType: Hashable, Sendable, CustomStringConvertible {
    /// The id stored in the file.
    public let id: UInt32

    public init(id: UInt32) {
        self.id = id
    }

    public static let f32 = GGMLType(id: 0)
    public static let f16 = GGMLType(id: 1)
    public static let q4_0 = GGMLType(id: 2)
    public static let q4_1 = GGMLType(id: 3)
    public static let q8_0 = GGMLType(id: 8)
    public static let q4_k = GGMLType(id: 12)
    public static let bf16 = GGMLType(id: 30)

    /// ggml's name for the type (`Q4_1`), or `unknown` for an id ggml has not assigned.
    public var name: String { Self.names[id] ?? "unknown" }

    /// `Q4_K (12)`: the name and the id, as refusals print it.
    public var description: String { "\(name) (\(id))" }

    /// Elements per block and bytes per block, where the spec fixes them; `nil` for the
    /// importance-matrix (IQ), ternary and unknown types, whose size Funnel does not track.
    public var layout: (blockLength: Int, blockByteCount: Int)? {
        Self.layouts[id].map { (blockLength: $0.0, blockByteCount: $0.1) }
    }

    /// The bytes `elementCount` elements take, or `nil` when the layout is unknown, the count
    /// is not a whole number of blocks, or the size overflows `Int`.
    public func byteCount(elementCount: Int) -> Int? {
        guard let layout, elementCount >= 0, elementCount % layout.blockLength == 0 else { return nil }
        let (bytes, overflow) = (elementCount / layout.blockLength).multipliedReportingOverflow(by: layout.blockByteCount)
        return overflow ? nil : bytes
    }

    // ggml.h's `enum ggml_type`; ids 4 and 5 (Q4_2, Q4_3) and 31–33 were retired.
    private static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_2", 5: "Q4_3", 6: "Q5_0", 7: "Q5_1",
        8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
        15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL",
        21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64",
        28: "F64", 29: "IQ1_M", 30: "BF16", 31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8",
        34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]

    // (elements per block, bytes per block). Legacy quantisations use blocks of 32, the K
    // quantisations super-blocks of 256 (QK_K).
    private static let layouts: [UInt32: (Int, Int)] = [
        0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
        9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
        14: (256, 210), 15: (256, 292), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8),
        28: (1, 8), 30: (1, 2),
    ]
}
