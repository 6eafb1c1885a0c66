import Foundation
import Testing

/// `Fixtures/language-model-reference.json`: values `Scripts/gguf_reference.py` (numpy, its
/// own GGUF and safetensors parsers) computed from the real model files — the first 16
/// values of a few rows of some tensors, and the float64 sum and sum of squares of each.
struct LanguageModelReference: Decodable {
    struct Tensor: Decodable {
        /// Row index (as a string) → the row's first 16 values.
        let rows: [String: [Double]]
        let sum: Double
        let sumOfSquares: Double
        let type: String?
        let dims: [Int]?
        let dtype: String?
        let shape: [Int]?
    }

    struct File: Decodable {
        let file: String
        let tensorCount: Int
        let dataStart: Int?
        let tensors: [String: Tensor]
    }

    let gguf: File
    let safetensors: File

    static func load() throws -> LanguageModelReference { try cached.get() }

    private static let cached = Result<LanguageModelReference, any Error> {
        guard let url = Bundle.module.url(forResource: "language-model-reference", withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureMissing()
        }
        return try JSONDecoder().decode(LanguageModelReference.self, from: Data(contentsOf: url))
    }

    private struct FixtureMissing: Error {}
}

/// Checks the reference rows (first 16 values each, within `tolerance`) and the whole-tensor
/// sum and sum of squares (relative 1e-9, accumulated in `Double`) against `values`, which
/// are `rowLength`-long rows in storage order.
func expectMatches(
    _ values: [Float], rowLength: Int, _ reference: LanguageModelReference.Tensor, tolerance: Float = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for (rowName, expected) in reference.rows {
        guard let row = Int(rowName), (row + 1) * rowLength <= values.count else {
            Issue.record("row \(rowName) is outside \(values.count / rowLength) rows", sourceLocation: sourceLocation)
            continue
        }
        let actual = values[(row * rowLength)..<(row * rowLength + expected.count)]
        for (index, (value, wanted)) in zip(actual, expected).enumerated() {
            #expect(abs(value - Float(wanted)) <= tolerance, "row \(row)[\(index)]: \(value) vs \(wanted)", sourceLocation: sourceLocation)
        }
    }
    var sum = 0.0
    var sumOfSquares = 0.0
    for value in values {
        sum += Double(value)
        sumOfSquares += Double(value) * Double(value)
    }
    #expect(abs(sum - reference.sum) <= 1e-9 * max(1, abs(reference.sum)), "sum \(sum) vs \(reference.sum)", sourceLocation: sourceLocation)
    #expect(abs(sumOfSquares - reference.sumOfSquares) <= 1e-9 * reference.sumOfSquares, "sum of squares \(sumOfSquares) vs \(reference.sumOfSquares)", sourceLocation: sourceLocation)
}
