// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Funnel",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "FunnelTensor", targets: ["FunnelTensor"]),
        .library(name: "FunnelNN", targets: ["FunnelNN"]),
        .library(name: "FunnelData", targets: ["FunnelData"]),
        .library(name: "FunnelMetrics", targets: ["FunnelMetrics"]),
        .library(name: "FunnelSimulation", targets: ["FunnelSimulation"]),
        .library(name: "FunnelModels", targets: ["FunnelModels"]),
        .library(name: "FunnelTraining", targets: ["FunnelTraining"]),
        .library(name: "FunnelBenchmarks", targets: ["FunnelBenchmarks"]),
        .library(name: "FunnelLanguage", targets: ["FunnelLanguage"]),
        .library(name: "FunnelServer", targets: ["FunnelServer"]),
        .library(name: "FunnelConversation", targets: ["FunnelConversation"]),
        .library(name: "FunnelONNX", targets: ["FunnelONNX"]),
        .library(name: "FunnelDistributed", targets: ["FunnelDistributed"]),
        .executable(name: "funnel", targets: ["funnel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // MARK: Kernels (C, run-time CPU dispatch; imported only by FunnelTensor and benchmarks)
        .target(
            name: "CFunnelKernels",
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m"), .linkedLibrary("dl")]
        ),

        // MARK: Engine
        .target(
            name: "FunnelTensor",
            dependencies: ["CFunnelKernels"],
            swiftSettings: strictSettings
        ),

        .target(
            name: "FunnelNN",
            dependencies: ["FunnelTensor"],
            swiftSettings: strictSettings
        ),

        // MARK: Data and metrics
        .target(
            name: "FunnelData",
            dependencies: ["FunnelTensor"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FunnelMetrics",
            swiftSettings: strictSettings
        ),

        .target(
            name: "FunnelSimulation",
            dependencies: ["FunnelData", "FunnelTensor"],
            swiftSettings: strictSettings
        ),

        // MARK: Models and training
        .target(
            name: "FunnelModels",
            dependencies: ["FunnelNN", "FunnelData"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FunnelTraining",
            dependencies: [
                "FunnelModels", "FunnelData", "FunnelMetrics", "FunnelNN", "FunnelDistributed",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Language model (GGUF, Llama-family decoder, tokenizers, LoRA; above FunnelNN)
        .target(
            name: "FunnelLanguage",
            dependencies: ["FunnelNN", "FunnelTensor"],
            swiftSettings: strictSettings
        ),

        // MARK: Conversational recommendation (ECPO, AILO; above the language model)
        .target(
            name: "FunnelConversation",
            dependencies: ["FunnelLanguage", "FunnelModels", "FunnelNN", "FunnelTensor", "FunnelTraining"],
            swiftSettings: strictSettings
        ),

        // MARK: HTTP servers: scoring a checkpoint (`funnel serve`), a language model (`funnel llm serve`)
        .target(
            name: "FunnelServer",
            dependencies: [
                "FunnelLanguage",
                "FunnelTraining",
                "FunnelModels",
                "FunnelData",
                "FunnelTensor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: ONNX export of the feature models (`funnel export onnx`; the only importer of SwiftProtobuf)
        .target(
            name: "FunnelONNX",
            dependencies: [
                "FunnelModels", "FunnelNN", "FunnelData", "FunnelTensor", "FunnelTraining",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"],
            swiftSettings: strictSettings
        ),

        // MARK: Beyond one machine (MPI, loaded at run time)
        .target(
            name: "FunnelDistributed",
            swiftSettings: strictSettings,
            linkerSettings: [.linkedLibrary("dl")]
        ),

        // MARK: Benchmarks (`funnel bench`)
        .target(
            name: "FunnelBenchmarks",
            dependencies: ["FunnelTensor", "FunnelNN", "FunnelData", "FunnelMetrics", "FunnelModels", "FunnelSimulation", "FunnelLanguage", "CFunnelKernels"],
            swiftSettings: strictSettings
        ),

        // MARK: Command-line tool
        .executableTarget(
            name: "funnel",
            dependencies: [
                "FunnelTensor",
                "FunnelData",
                "FunnelMetrics",
                "FunnelSimulation",
                "FunnelModels",
                "FunnelTraining",
                "FunnelBenchmarks",
                "FunnelLanguage",
                "FunnelServer",
                "FunnelConversation",
                "FunnelONNX",
                "FunnelDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .target(
            name: "FunnelTestSupport",
            dependencies: ["FunnelTensor"],
            path: "Sources/FunnelTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CFunnelKernelsTests",
            dependencies: ["CFunnelKernels"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelTensorTests",
            dependencies: ["FunnelTensor", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelNNTests",
            dependencies: ["FunnelNN", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelDataTests",
            dependencies: ["FunnelData", "FunnelSimulation", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelSimulationTests",
            dependencies: ["FunnelSimulation", "FunnelMetrics", "FunnelNN", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelModelsTests",
            dependencies: ["FunnelModels", "FunnelSimulation", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelTrainingTests",
            dependencies: ["FunnelTraining", "FunnelSimulation", "FunnelModels", "FunnelMetrics", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelDistributedTests",
            dependencies: ["FunnelDistributed", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelBenchmarksTests",
            dependencies: ["FunnelBenchmarks", "FunnelModels", "FunnelData", "FunnelSimulation"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelLanguageTests",
            dependencies: ["FunnelLanguage", "FunnelTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelServerTests",
            dependencies: ["FunnelServer", "FunnelLanguage", "FunnelTraining", "FunnelData", "FunnelModels", "FunnelSimulation", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelConversationTests",
            dependencies: ["FunnelConversation", "FunnelLanguage", "FunnelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelONNXTests",
            dependencies: ["FunnelONNX", "FunnelTraining", "FunnelModels", "FunnelData", "FunnelTensor", "FunnelSimulation", "FunnelTestSupport"],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunnelMetricsTests",
            dependencies: ["FunnelMetrics"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)

var strictSettings: [SwiftSetting] {
    [.enableUpcomingFeature("ExistentialAny")]
}
