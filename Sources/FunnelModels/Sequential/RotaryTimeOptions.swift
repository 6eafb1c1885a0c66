import FunnelNN

/// RoTE's settings inside a sequential model (sequential.md §2.2–§2.3, §2.6): the timestamp
/// decomposition, the levels' bases and weights, and whether padded keys are blocked.
///
/// Decoding fills the fields a configuration leaves out with their defaults, so `"rote": {}`
/// turns RoTE on as RoTE-SASRec ships it.
public struct RotaryTimeOptions: Codable, Equatable, Sendable {
    /// How timestamps become level values (approximate real-valued years, months, days from the
    /// epoch, as RoTE-SASRec).
    public var mode: TimeDecomposition
    /// Per level, coarsest first (`nil`: (1e6, 1e4, 1e2), or 1e6 for `unix`).
    public var bases: [Double]?
    /// Per level (`nil`: (1.5, 1.0, 0.5), or 1 for `unix`).
    public var weights: [Double]?
    /// Block attention to padded keys. The reference does not: padding carries time 0 and stays
    /// visible to every later query (§2.6), so the default keeps it visible.
    public var maskPaddingKeys: Bool

    public init(mode: TimeDecomposition = .approximate, bases: [Double]? = nil, weights: [Double]? = nil, maskPaddingKeys: Bool = false) {
        self.mode = mode
        self.bases = bases
        self.weights = weights
        self.maskPaddingKeys = maskPaddingKeys
    }

    private enum CodingKeys: String, CodingKey {
        case mode, bases, weights, maskPaddingKeys
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            mode: try container.decodeIfPresent(TimeDecomposition.self, forKey: .mode) ?? .approximate,
            bases: try container.decodeIfPresent([Double].self, forKey: .bases),
            weights: try container.decodeIfPresent([Double].self, forKey: .weights),
            maskPaddingKeys: try container.decodeIfPresent(Bool.self, forKey: .maskPaddingKeys) ?? false)
    }

    /// The problem with these options for a head of `headWidth` values, or `nil`.
    func problem(headWidth: Int) -> String? {
        if let problem = RotaryTimeEmbedding.problem(headWidth: headWidth) { return problem }
        for (name, values) in [("bases", bases), ("weights", weights)] {
            guard let values else { continue }
            guard values.count == mode.levelCount else {
                return "\(name) has \(values.count) values; mode '\(mode.rawValue)' has \(mode.levelCount) levels"
            }
            if name == "bases", values.contains(where: { !($0 > 1) || !$0.isFinite }) { return "bases must be finite and above 1" }
            if values.contains(where: { !$0.isFinite }) { return "\(name) must be finite" }
        }
        return nil
    }
}
