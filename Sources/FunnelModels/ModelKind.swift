import Foundation
import FunnelData

/// The only list of models: `funnel models`, the trainer and the server read it. Adding a model
/// touches its own file and one case with its arm here.
public enum ModelKind: String, CaseIterable, Codable, Sendable {
    case logisticRegression = "logistic-regression"
    case mlp
    case naiveCVR = "naive-cvr"
    case esmm
    case escm2IPW = "escm2-ipw"
    case escm2DR = "escm2-dr"
    case dcmt
    case nise
    case chorusCVR = "chorus-cvr"
    case base
    case usd

    /// Builds the model for a dataset from its JSON configuration (`nil`: the defaults).
    public func make(dataset: Dataset, configuration: Data?, seed: UInt64) throws -> any FunnelModel {
        switch self {
        case .logisticRegression: return try LogisticRegression(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .mlp: return try MLPCTRModel(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .naiveCVR: return try NaiveCVR(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .esmm: return try ESMM(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .escm2IPW:
            return try ESCM2(dataset: dataset, configuration: decode(configuration), estimator: .inversePropensity, seed: seed)
        case .escm2DR:
            return try ESCM2(dataset: dataset, configuration: decode(configuration), estimator: .doublyRobust, seed: seed)
        case .dcmt: return try DCMT(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .nise: return try NISE(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .chorusCVR: return try ChorusCVR(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .base: return try ETAModel(dataset: dataset, configuration: decode(configuration), seed: seed)
        case .usd: return try USDModel(dataset: dataset, configuration: decode(configuration), seed: seed)
        }
    }

    /// One line for `funnel models`.
    public var summary: String {
        switch self {
        case .logisticRegression: return "logistic regression over categorical ids and dense features (inputs: features, a label)"
        case .mlp: return "field embeddings + dense features → MLP tower → one logit (inputs: features, a label)"
        case .naiveCVR: return "CVR trained on clicked rows only, beside an independent CTR model: the biased baseline (click, conversion)"
        case .esmm: return "ESMM: CTR and CTCVR = CTR×CVR supervised over every exposure (SIGIR 2018; click, conversion)"
        case .escm2IPW: return "ESCM²-IPW: ESMM + inverse-propensity CVR risk, MMoE backbone (SIGIR 2022; click, conversion)"
        case .escm2DR: return "ESCM²-DR: ESMM + doubly-robust CVR risk with an imputation tower (SIGIR 2022; click, conversion)"
        case .dcmt: return "DCMT: factual and counterfactual CVR towers tied by r̂ + r̂* = 1 (ICDE 2023; click, conversion)"
        case .nise: return "NISE: non-clicks as unlabelled rows, entropy pseudo-labels, adaptive CTR weight (RecSys 2024; click, conversion)"
        case .chorusCVR: return "ChorusCVR: un-conversion tower and soft alignment of CVR and unCVR (WSDM 2026; click, conversion)"
        case .base: return "BASE of USD: ETA-like CTR model, SimHash retrieval + target attention, DIN on the short sequence (click, item, behaviours)"
        case .usd: return "USD: portal-visitor sampling + intent module + dual-debiasing weights on BASE (RecSys 2025; click, user-day labels, intent sequence)"
        }
    }

    /// The default configuration as JSON, for `funnel models`.
    public var defaultConfiguration: String {
        let configuration: any Encodable
        switch self {
        case .logisticRegression: configuration = LogisticRegression.Configuration()
        case .mlp: configuration = MLPCTRModel.Configuration()
        case .naiveCVR: configuration = NaiveCVR.Configuration()
        case .esmm: configuration = ESMM.Configuration()
        case .escm2IPW, .escm2DR: configuration = ESCM2.Configuration()
        case .dcmt: configuration = DCMT.Configuration()
        case .nise: configuration = NISE.Configuration()
        case .chorusCVR: configuration = ChorusCVR.Configuration()
        case .base: configuration = ETAModel.Configuration()
        case .usd: configuration = USDModel.Configuration()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private func decode<Configuration: Codable & DefaultInitializable>(_ data: Data?) throws -> Configuration {
        guard let data else { return Configuration() }
        return try StrictJSON.decode(Configuration.self, from: data, defaults: Configuration(), context: "modelConfiguration")
    }
}

/// A configuration whose `init()` holds its defaults.
protocol DefaultInitializable {
    init()
}

extension LogisticRegression.Configuration: DefaultInitializable {}
extension MLPCTRModel.Configuration: DefaultInitializable {}
extension NaiveCVR.Configuration: DefaultInitializable {}
extension ESMM.Configuration: DefaultInitializable {}
extension ESCM2.Configuration: DefaultInitializable {}
extension DCMT.Configuration: DefaultInitializable {}
extension NISE.Configuration: DefaultInitializable {}
extension ChorusCVR.Configuration: DefaultInitializable {}
extension ETAModel.Configuration: DefaultInitializable {}
extension USDModel.Configuration: DefaultInitializable {}
