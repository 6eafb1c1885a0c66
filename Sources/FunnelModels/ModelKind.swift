import Foundation
import FunnelData
import FunnelNN

/// The only list of models: `funnel models`, the trainer and the server read it. Adding a model
/// is its own file (a ``RegisteredModel``) and one case with its line here.
public enum ModelKind: String, CaseIterable, Codable, Sendable, StrictEnum {
    case logisticRegression = "logistic-regression"
    case mlp
    case fm
    case deepfm
    case autoint
    case din
    case naiveCVR = "naive-cvr"
    case esmm
    case escm2IPW = "escm2-ipw"
    case escm2DR = "escm2-dr"
    case dcmt
    case nise
    case chorusCVR = "chorus-cvr"
    case base
    case usd
    case twoTower = "two-tower"
    case sharedBottom = "shared-bottom"
    case mmoe
    case ple
    case ektm
    case matrixFactorisation = "matrix-factorisation"
    case mfDRJL = "mf-dr-jl"
    case sasrec
    case fair
    case watchTime = "watch-time"
    case d2co
    case cwm

    public var factory: ModelFactory {
        switch self {
        case .logisticRegression: ModelFactory(LogisticRegression.self)
        case .mlp: ModelFactory(MLPCTRModel.self)
        case .fm: ModelFactory(CTRModel.self)
        case .deepfm:
            ModelFactory(CTRModel.self, summary: CTRBackboneKind.deepfm.summary) {
                try CTRModel(dataset: $0, configuration: $1, kind: .deepfm, seed: $2)
            }
        case .autoint:
            ModelFactory(CTRModel.self, summary: CTRBackboneKind.autoint.summary) {
                try CTRModel(dataset: $0, configuration: $1, kind: .autoint, seed: $2)
            }
        case .din: ModelFactory(DINModel.self)
        case .naiveCVR: ModelFactory(NaiveCVR.self)
        case .esmm: ModelFactory(ESMM.self)
        case .escm2IPW: ModelFactory(ESCM2.self)
        case .escm2DR:
            ModelFactory(ESCM2.self, summary: ESCM2.doublyRobustSummary) {
                try ESCM2(dataset: $0, configuration: $1, estimator: .doublyRobust, seed: $2)
            }
        case .dcmt: ModelFactory(DCMT.self)
        case .nise: ModelFactory(NISE.self)
        case .chorusCVR: ModelFactory(ChorusCVR.self)
        case .base: ModelFactory(ETAModel.self)
        case .usd: ModelFactory(USDModel.self)
        case .twoTower: ModelFactory(TwoTowerModel.self)
        case .sharedBottom: ModelFactory(SharedBottomModel.self)
        case .mmoe: ModelFactory(MMoEModel.self)
        case .ple: ModelFactory(PLEModel.self)
        case .ektm: ModelFactory(EKTMModel.self)
        case .matrixFactorisation: ModelFactory(MatrixFactorisation.self)
        case .mfDRJL: ModelFactory(DoublyRobustJointLearning.self)
        case .sasrec: ModelFactory(SASRec.self)
        case .fair: ModelFactory(FAIR.self)
        case .watchTime: ModelFactory(WatchTimeModel.self)
        case .d2co:
            ModelFactory(WatchTimeModel.self, summary: WatchTimeModel.d2coSummary) {
                try WatchTimeModel(dataset: $0, configuration: $1, method: .label(.d2co), seed: $2)
            }
        case .cwm:
            ModelFactory(WatchTimeModel.self, summary: WatchTimeModel.counterfactualSummary) {
                try WatchTimeModel(dataset: $0, configuration: $1, method: .counterfactual, seed: $2)
            }
        }
    }

    /// Builds the model for a dataset from its JSON configuration (`nil`: the defaults).
    public func make(dataset: Dataset, configuration: Data?, seed: UInt64) throws -> any FunnelModel {
        try factory.make(dataset: dataset, configuration: configuration, seed: seed)
    }

    /// One line for `funnel models`.
    public var summary: String { factory.summary }

    /// The default configuration as JSON, for `funnel models`.
    public var defaultConfiguration: String { factory.defaultConfiguration }
}
