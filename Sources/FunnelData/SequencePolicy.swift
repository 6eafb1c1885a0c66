/// How an id list or a timestamp list becomes a fixed-length sequence.
///
/// A list of `count` elements keeps `k = min(count, length)` of them (the most recent with
/// `.last`, lists being stored oldest first) in their stored order. With `.trailing` padding
/// they sit at positions `0 ..< k` and padding follows; with `.leading` they sit at
/// `length - k ..< length` and padding comes first (SASRec's left padding, so that the last
/// real element is always at position `length - 1`).
public struct SequencePolicy: Sendable, Codable, Equatable {
    /// Which end of a long list is kept.
    public enum Keep: String, Sendable, Codable {
        /// The most recent ids (lists are stored oldest first).
        case last
        case first
    }

    /// Which end of the sequence the padding fills.
    public enum Padding: String, Codable, Sendable {
        /// Real elements first, padding after (positions `0 ..< k` are real).
        case trailing
        /// Padding first, real elements at the end (positions `length - k ..< length`).
        case leading
    }

    public var length: Int
    public var keep: Keep
    public var padding: Padding

    public init(length: Int, keep: Keep = .last, padding: Padding = .trailing) {
        self.length = length
        self.keep = keep
        self.padding = padding
    }

    private enum CodingKeys: String, CodingKey {
        case length, keep, padding
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        length = try container.decode(Int.self, forKey: .length)
        keep = try container.decode(Keep.self, forKey: .keep)
        // Policies written before padding could be chosen padded at the end.
        padding = try container.decodeIfPresent(Padding.self, forKey: .padding) ?? .trailing
    }

    /// Where the kept elements of a list of `count` elements go when the sequence is
    /// `length` long: the first kept element's index in the list, how many are kept, and the
    /// position the first one takes.
    func placement(count: Int, length: Int) -> (first: Int, kept: Int, position: Int) {
        let kept = Swift.min(count, length)
        let first = keep == .first ? 0 : count - kept
        return (first, kept, padding == .leading ? length - kept : 0)
    }
}
