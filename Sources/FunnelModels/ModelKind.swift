import Foundation
import FunnelData

/// The only list of models: `funnel models`, the trainer and the server read it. Adding a model
/// touches its own file and one case with its arm here.
public enum ModelKind: String, CaseIterable, Codable, Sendable {
    case logisticRegression = "logistic-regression"
    case mlp

    /// Builds the model for a dataset from its JSON configuration (`nil`: the defaults).
    public func make(dataset: Dataset, configuration: Data?, seed: UInt64) throws -> any FunnelModel {
        switch self {
        case .logisticRegression:
            return try LogisticRegression(dataset: dataset, configuration: decode(configuration, default: .init()), seed: seed)
        case .mlp:
            return try MLPCTRModel(dataset: dataset, configuration: decode(configuration, default: .init()), seed: seed)
        }
    }

    /// One line for `funnel models`.
    public var summary: String {
        switch self {
        case .logisticRegression: return "logistic regression over categorical ids and dense features (inputs: features, a label)"
        case .mlp: return "field embeddings + dense features → MLP tower → one logit (inputs: features, a label)"
        }
    }

    /// The default configuration as JSON, for `funnel models`.
    public var defaultConfiguration: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data?
        switch self {
        case .logisticRegression: data = try? encoder.encode(LogisticRegression.Configuration())
        case .mlp: data = try? encoder.encode(MLPCTRModel.Configuration())
        }
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private func decode<Configuration: Codable>(_ data: Data?, default value: Configuration) throws -> Configuration {
        guard let data else { return value }
        return try StrictJSON.decode(Configuration.self, from: data, defaults: value, context: "modelConfiguration")
    }
}
