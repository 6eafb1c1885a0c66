import Foundation

/// A `Double` written into a reply as its shortest round-trip decimal text, so that a client
/// parsing it exactly gets the same bits (JSONSerialization's number output may lose the last
/// digit); log-probabilities are compared exactly across the API.
struct ExactNumber {
    var value: Double

    init(_ value: Double) { self.value = value }

    /// `object` as JSON text, each ``ExactNumber`` (at the top level) written by Swift's
    /// round-trip `description`.
    static func serialize(_ object: [String: Any]) throws -> Data {
        var plain = object
        var exact: [String: Double] = [:]
        for (key, value) in object {
            if let number = value as? ExactNumber {
                exact[key] = number.value
                plain[key] = nil
            }
        }
        var data = try JSONSerialization.data(withJSONObject: plain, options: [.sortedKeys])
        guard !exact.isEmpty else { return data }
        guard exact.values.allSatisfy(\.isFinite) else {
            throw EncodingError.invalidValue(exact, .init(codingPath: [], debugDescription: "a non-finite number"))
        }
        // Drop the closing brace, append the exact fields, close again.
        data.removeLast()
        var text = ""
        for (key, value) in exact.sorted(by: { $0.key < $1.key }) {
            let name = String(decoding: try JSONSerialization.data(withJSONObject: key, options: [.fragmentsAllowed]), as: UTF8.self)
            text += (data.count > 1 || !text.isEmpty ? "," : "") + "\(name):\(value.description)"
        }
        data.append(Data((text + "}").utf8))
        return data
    }
}
