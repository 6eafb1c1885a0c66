import Foundation
import FunnelData
import FunnelModels
import Testing

/// Every model's configuration refuses the values its layers cannot be built with — by name,
/// before any layer exists — and what it accepts builds without stopping the process.
@Suite struct ModelConfigurationValidationTests {
    /// The numeric leaves of a JSON tree with their paths.
    static func numericPaths(_ tree: Any, path: [Any] = []) -> [[Any]] {
        if let object = tree as? [String: Any] {
            return object.keys.sorted().flatMap { numericPaths(object[$0]!, path: path + [$0]) }
        }
        if let array = tree as? [Any] {
            return array.indices.flatMap { numericPaths(array[$0], path: path + [$0]) }
        }
        return tree is NSNumber && !(tree is Bool) ? [path] : []
    }

    static func replacing(_ path: ArraySlice<Any>, in tree: Any, with value: Any) -> Any {
        guard let step = path.first else { return value }
        if let key = step as? String, var object = tree as? [String: Any] {
            object[key] = replacing(path.dropFirst(), in: object[key]!, with: value)
            return object
        }
        var array = tree as! [Any]
        let index = step as! Int
        array[index] = replacing(path.dropFirst(), in: array[index], with: value)
        return array
    }

    @Test(arguments: ModelKind.allCases)
    func badNumbersAreRefusedOrBuild(kind: ModelKind) throws {
        let defaults = try JSONSerialization.jsonObject(with: Data(kind.defaultConfiguration.utf8))
        let fixture = kind.factory.fixture
        var refused = 0
        var built = 0
        for path in Self.numericPaths(defaults) {
            for bad in [0, -1, -1_000_000, 1e12, 1.5, -0.5, 2] as [Double] {
                var tree = Self.replacing(path[...], in: defaults, with: bad)
                if let configuration = fixture.configuration,
                    let overrides = try JSONSerialization.jsonObject(with: Data(configuration.utf8)) as? [String: Any],
                    var object = tree as? [String: Any]
                {
                    // The fixture's overrides keep the build small, unless they are the mutated field.
                    for (key, value) in overrides where "\(path[0])" != key { object[key] = value }
                    tree = object
                }
                let json = try JSONSerialization.data(withJSONObject: tree)
                do {
                    try kind.factory.validate(configuration: json)
                } catch {
                    #expect("\(error)".contains("modelConfiguration."), "\(kind.rawValue) \(path) = \(bad): \(error)")
                    refused += 1
                    continue
                }
                // Accepted: the model must build (a bad size would stop the process here).
                if bad.magnitude < 1e6 {
                    let dataset = try ModelZooTests.world(for: kind)
                    _ = try? kind.make(dataset: dataset, configuration: json, seed: 1)
                    built += 1
                }
            }
        }
        print("\(kind.rawValue): \(refused) refused, \(built) accepted and built")
    }

    @Test func refusalsNameTheField() throws {
        func refusal(_ kind: ModelKind, _ json: String) -> String {
            do {
                try kind.factory.validate(configuration: Data(json.utf8))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let cases: [(ModelKind, String, String)] = [
            (.mlp, #"{"dropout": 1}"#, "field 'modelConfiguration.dropout': 1.0; expected a dropout probability in [0, 1)"),
            (.mlp, #"{"hiddenDimensions": [64, -3]}"#, "field 'modelConfiguration.hiddenDimensions[1]': -3"),
            (.mlp, #"{"embeddingDimensions": 0}"#, "field 'modelConfiguration.embeddingDimensions': 0"),
            (.twoTower, #"{"negatives": 0}"#, "field 'modelConfiguration.negatives': 0"),
            (.twoTower, #"{"dropout": -0.1}"#, "field 'modelConfiguration.dropout'"),
            (.esmm, #"{"network": {"embeddingDimensions": -1}}"#, "field 'modelConfiguration.network.embeddingDimensions': -1"),
            (.escm2IPW, #"{"network": {"experts": 0}}"#, "field 'modelConfiguration.network.experts': 0"),
            (.escm2IPW, #"{"network": {"expertHidden": []}}"#, "field 'modelConfiguration.network.expertHidden'"),
            (.dcmt, #"{"propensityFloor": 0}"#, "field 'modelConfiguration.propensityFloor'"),
            (.base, #"{"heads": 3}"#, "field 'modelConfiguration.heads': 3 heads do not divide"),
            (.base, #"{"shortLength": 2000}"#, "field 'modelConfiguration.shortLength'"),
            (.base, #"{"longLength": 0}"#, "field 'modelConfiguration.longLength'"),
            (.usd, #"{"intent": {"dropout": 1.5}}"#, "field 'modelConfiguration.intent.dropout'"),
            (.usd, #"{"base": {"hashBits": 0}}"#, "field 'modelConfiguration.base.hashBits'"),
            (.usd, #"{"maximumWeight": 0.5}"#, "field 'modelConfiguration.maximumWeight'"),
            (.mlp, #"{"hiddenDimensions": [64], "hiddenDimensions": [32]}"#, "field 'modelConfiguration.hiddenDimensions': the key 'hiddenDimensions' appears twice"),
            (.esmm, #"{"network": {"backbone": "tower"}}"#, "'tower' is not one of: towers, shared-bottom, mmoe"),
        ]
        for (kind, json, expected) in cases {
            let message = refusal(kind, json)
            #expect(message.contains(expected), "\(kind.rawValue) \(json): \(message)")
        }
        for kind in ModelKind.allCases { #expect(refusal(kind, "{}") == "accepted", "\(kind.rawValue) defaults") }
    }
}
