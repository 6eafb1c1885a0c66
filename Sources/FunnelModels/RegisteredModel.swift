import Foundation
import FunnelData

/// A model's own configuration: JSON-decodable, its `init()` holding the defaults.
public protocol ModelConfiguration: Codable, Sendable {
    init()
    /// Refuses values the model cannot be built or trained with (non-positive sizes, dropout
    /// outside [0, 1), heads that do not divide a width, …), naming the field's path under
    /// `modelConfiguration`; called by ``ModelFactory`` before the model is built.
    func validate() throws
}

extension ModelConfiguration {
    public func validate() throws {}
}

/// A model the registry (``ModelKind``) can build: its configuration, its one-line summary and
/// its initializer live with the type, so registering it is one line.
public protocol RegisteredModel: FunnelModel {
    associatedtype Configuration: ModelConfiguration
    /// One line for `funnel models`: what the model is, its paper, the labels it needs.
    static var summary: String { get }
    /// The simulated world and configuration the model-zoo test trains it on.
    static var testFixture: ModelFixture { get }
    init(dataset: Dataset, configuration: Configuration, seed: UInt64) throws
}

extension RegisteredModel {
    public static var testFixture: ModelFixture { ModelFixture() }
}

/// Where the model-zoo test trains a model: a simulated world by name (`funnel`, `homepage`,
/// `watchtime`), a configuration that keeps the test quick, and what must be written beside
/// the world's dataset first (e.g. the semantic IDs a generative model reads).
public struct ModelFixture: Sendable {
    public var world: String
    public var configuration: String?
    public var prepare: (@Sendable (Dataset) throws -> Void)?

    public init(world: String = "funnel", configuration: String? = nil, prepare: (@Sendable (Dataset) throws -> Void)? = nil) {
        self.world = world
        self.configuration = configuration
        self.prepare = prepare
    }
}

/// How the registry builds one model kind: from a dataset, the model's JSON configuration
/// (decoded strictly over the defaults) and a seed.
public struct ModelFactory: Sendable {
    public let summary: String
    /// The default configuration as JSON (sorted keys).
    public let defaultConfiguration: String
    public let fixture: ModelFixture
    private let build: @Sendable (Dataset, Data?) throws -> (UInt64) throws -> any FunnelModel
    private let check: @Sendable (Data?) throws -> Void

    /// A registered model type; `make` replaces its initializer (a registry name that fixes an
    /// option, as `escm2-dr` fixes the estimator).
    public init<Model: RegisteredModel>(
        _ type: Model.Type, summary: String? = nil,
        make: (@Sendable (Dataset, Model.Configuration, UInt64) throws -> Model)? = nil
    ) {
        self.summary = summary ?? Model.summary
        fixture = Model.testFixture
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        defaultConfiguration = (try? encoder.encode(Model.Configuration())).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let decode: @Sendable (Data?) throws -> Model.Configuration = { json in
            let configuration = try json.map {
                try StrictJSON.decode(Model.Configuration.self, from: $0, defaults: Model.Configuration(), context: "modelConfiguration")
            } ?? Model.Configuration()
            try configuration.validate()
            return configuration
        }
        check = { _ = try decode($0) }
        build = { dataset, json in
            let configuration = try decode(json)
            return { seed in
                if let make { return try make(dataset, configuration, seed) }
                return try Model(dataset: dataset, configuration: configuration, seed: seed)
            }
        }
    }

    /// Decodes and validates a configuration without building the model (no dataset needed).
    public func validate(configuration: Data?) throws {
        try check(configuration)
    }

    /// Builds the model; a configuration that does not decode or validate is refused with the
    /// field's path.
    public func make(dataset: Dataset, configuration: Data?, seed: UInt64) throws -> any FunnelModel {
        try build(dataset, configuration)(seed)
    }
}
