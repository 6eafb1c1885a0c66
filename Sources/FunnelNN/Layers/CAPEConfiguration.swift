/// The settings of a CAPE attached to a model's attention (sequential.md §3.2): the rest of
/// ``ContextualPositionEncoding``'s arguments (the head width and the maximum number of
/// positions) follow from the model.
///
/// Decoding fills the fields a configuration leaves out with their defaults, so `"cape": {}`
/// turns CAPE on with `positionDimensions` 32.
public struct CAPEConfiguration: Codable, Equatable, Sendable {
    /// `C'`, the width of the projected query (tuned in {16, 32, 64} in the reference).
    public var positionDimensions: Int
    /// Whether blocked keys keep the gate their logits give, as the reference (§3.4).
    public var legacyMaskedGate: Bool

    public init(positionDimensions: Int = 32, legacyMaskedGate: Bool = false) {
        self.positionDimensions = positionDimensions
        self.legacyMaskedGate = legacyMaskedGate
    }

    private enum CodingKeys: String, CodingKey {
        case positionDimensions, legacyMaskedGate
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            positionDimensions: try container.decodeIfPresent(Int.self, forKey: .positionDimensions)
                ?? 32,
            legacyMaskedGate: try container.decodeIfPresent(Bool.self, forKey: .legacyMaskedGate)
                ?? false)
    }
}
