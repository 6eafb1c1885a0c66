import Foundation

extension WatchTimePreparation {
    /// What a preparation did (watchtime.md §0.1–0.2): what `funnel data watch-time` prints and
    /// the schema's notes record.
    public struct Report: Sendable {
        public var source: String
        /// Views read from the input.
        public var rowsRead: Int
        /// Views whose rounded duration lies outside ``durationRange``.
        public var droppedByDuration: Int
        /// Views inside the duration range but outside every split's dates.
        public var droppedOutsideSplits: Int
        public var durationRange: ClosedRange<Int64>
        /// Views per split, in split order.
        public var splitRows: [(name: String, rows: Int)]
        /// The share of kept views played to the end (`w_trunc ≥ d`).
        public var completePlayShare: Double
        /// θ of `long_view` (fixed) and of `long_view_quantile`, seconds.
        public var fixedThreshold: Double
        public var quantileThreshold: Double
        public var quantileLevel: Double
        /// Distinct users and videos kept.
        public var users: Int
        public var videos: Int
        /// Views whose key a users or videos table lacks, per table file.
        public var unmatchedKeys: [String: Int]

        /// Views kept over all splits.
        public var rowsKept: Int { splitRows.reduce(0) { $0 + $1.rows } }

        /// One fact per line.
        public var text: String {
            var lines = [
                "rows read: \(rowsRead)",
                "dropped by the duration filter \(durationRange.lowerBound)-\(durationRange.upperBound) s: \(droppedByDuration)",
            ]
            if droppedOutsideSplits > 0 { lines.append("dropped outside the split dates: \(droppedOutsideSplits)") }
            lines.append("rows kept: \(rowsKept) (" + splitRows.map { "\($0.name) \($0.rows)" }.joined(separator: ", ") + ")")
            lines.append("complete plays (w_trunc >= duration): \(String(format: "%.1f", 100 * completePlayShare))%")
            lines.append("long_view theta (D2Co, fixed): \(Self.seconds(fixedThreshold)) s")
            lines.append("long_view_quantile theta (CWM, \(quantileLevel)-quantile of w_trunc): \(Self.seconds(quantileThreshold)) s")
            lines.append("users: \(users), videos: \(videos)")
            for (file, count) in unmatchedKeys.sorted(by: { $0.key < $1.key }) where count > 0 {
                lines.append("views without a row in \(file): \(count) (its features take a 'missing' category)")
            }
            return lines.joined(separator: "\n")
        }

        /// A number of seconds for reading: at most 4 decimals, without trailing zeros (the
        /// exact θ is in ``quantileThreshold``).
        static func seconds(_ value: Double) -> String {
            if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
            var text = String(format: "%.4f", value)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
    }
}
