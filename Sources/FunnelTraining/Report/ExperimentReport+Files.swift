import Foundation
import FunnelData

extension ExperimentReport {
    /// The JSON document that ``json(_:)`` writes: the result as recorded plus its summary.
    public struct Document: Codable, Sendable {
        /// Every run, with its metrics, curve and ROC.
        public var result: ExperimentResult
        /// The per-model means and standard deviations.
        public var summary: ExperimentSummary

        public init(result: ExperimentResult, summary: ExperimentSummary) {
            self.result = result
            self.summary = summary
        }
    }

    /// The result and its per-model summary as pretty-printed JSON with sorted keys.
    ///
    /// JSON has no NaN or infinity, so a metric that was NaN is written as the string `"nan"`
    /// (and ±∞ as `"inf"`, `"-inf"`); decode with ``decoder()`` to read them back as numbers.
    /// Summary statistics that do not exist (the spread of one seed) are left out.
    ///
    /// - Parameter result: The experiment.
    /// - Returns: UTF-8 JSON text of a ``Document``.
    /// - Throws: `EncodingError` if the encoder fails.
    public static func json(_ result: ExperimentResult) throws -> String {
        let data = try encoder().encode(Document(result: result, summary: summary(result)))
        return String(decoding: data, as: UTF8.self)
    }

    /// The encoder of the reports' JSON: pretty-printed, sorted keys, NaN and ±∞ as strings.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// A decoder that reads what ``json(_:)`` writes, NaN and infinities included.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Writes `experiment.json`, `experiment.md`, `experiment.txt` and every chart of
    /// ``charts(_:)`` into `directory`, creating it if needed.
    ///
    /// Each file goes to a temporary name in the same folder and is renamed over its target
    /// (`AtomicFile`), so a reader sees either the old file or the whole new one, and no
    /// temporary file is left behind, even when writing fails.
    ///
    /// - Parameters:
    ///   - result: The experiment.
    ///   - directory: The folder to write into.
    /// - Returns: The paths written, the three documents first and then the charts by name.
    /// - Throws: When the folder cannot be created or a file cannot be written.
    @discardableResult
    public static func write(_ result: ExperimentResult, to directory: String) throws -> [String] {
        try AtomicFile.createDirectory(directory)
        let documents = [
            ("experiment.json", try json(result)),
            ("experiment.md", markdown(result)),
            ("experiment.txt", table(result)),
        ]
        let files = documents + charts(result).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var paths: [String] = []
        for (name, text) in files {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            try AtomicFile.write(Data(text.utf8), to: path)
            paths.append(path)
        }
        return paths
    }
}
