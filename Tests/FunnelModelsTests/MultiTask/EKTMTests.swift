import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTensor
import Testing

/// multitask.md §4.5 oracles for EKTM: transmitter off = the backbone, router rows sum to 1,
/// equal features pool to themselves, T = 1, the hinge and hard-example weight by hand; refusals.
@Suite struct EKTMTests {
    static let common = #""embeddingDimensions": 4, "towerHidden": [8], "dropout": 0.2"#
    static let backbones: [ModelKind: String] = [
        .sharedBottom: #", "bottomHidden": [16, 8]"#, .mmoe: #", "experts": 3, "expertHidden": [16, 8]"#,
        .ple: #", "sharedExperts": 2, "taskExperts": 1, "levelWidths": [16, 8]"#,
    ]

    static func configuration(_ extra: String, backbone: ModelKind = .mmoe) -> Data { Data("{\(common)\(backbones[backbone]!)\(extra)}".utf8) }

    @Test(arguments: [("shared-bottom", ModelKind.sharedBottom), ("mmoe", .mmoe), ("ple", .ple)])
    func transmitterOffIsTheBackbone(backbone: String, kind: ModelKind) throws {
        let dataset = try ModelZooTests.world("funnel")
        let ektm = try ModelKind.ektm.make(
            dataset: dataset, configuration: Self.configuration(#", "backbone": "\#(backbone)", "transmitter": false"#, backbone: kind), seed: 5)
        let reference = try kind.make(dataset: dataset, configuration: Self.configuration("", backbone: kind), seed: 5)
        let batch = try MultiTaskModelTests.batch(ektm, dataset: dataset)
        for training in [true, false] {
            ektm.train(training)
            reference.train(training)
            for layer in ektm.randomLayers() + reference.randomLayers() { layer.reseed(11) }
            let left = try ektm(batch), right = try reference(batch)
            for name in ["ctr", "ctcvr"] { #expect(left[name]!.scalars == right[name]!.scalars, "\(backbone) \(name), training \(training)") }
            let objective = try ektm.objective(left, batch: batch)
            #expect(objective.logs["ctcvr_hinge"]!.scalar == 0)
            let plain = try reference.objective(right, batch: batch)
            #expect(objective.tasks.map(\.loss.scalar) == plain.tasks.map(\.loss.scalar))
        }
    }

    @Test func routerRowsSumToOneAndEqualFeaturesPoolToThemselves() {
        var generator = RandomGenerator(seed: 3)
        let router = EKTMRouter(width: 6, generator: &generator)
        let cvr = (0..<3).map { _ in Tensor.randomNormal([5, 6], using: &generator) }
        let ctr = Tensor.randomNormal([5, 6], using: &generator)
        let (knowledge, weights) = router(ctr: ctr, cvr: cvr)
        #expect(weights.shape == [5, 3, 3])
        let sums = weights.sum(alongAxes: [2]).scalars
        #expect(sums.allSatisfy { abs($0 - 1) < 1e-6 })
        #expect(knowledge.count == 3 && knowledge[0].shape == [5, 6])
        // F_i = (f_0 + Σ_j s_ij f_j)/(T + 1), by hand for row 2 of task 1.
        let s = weights.scalars, f = cvr.map(\.scalars)
        for c in 0..<6 {
            var expected = ctr.scalars[2 * 6 + c]
            for j in 0..<3 { expected += s[(2 * 3 + 1) * 3 + j] * f[j][2 * 6 + c] }
            #expect(abs(knowledge[1].scalars[2 * 6 + c] - expected / 4) < 1e-5)
        }
        // Equal features: the §4.2 divisor T + 1 gives 2f/(T + 1); `pair` gives f (§4.5).
        let same = Tensor.randomNormal([5, 6], using: &generator)
        for F in router(ctr: same, cvr: [same, same, same]).knowledge {
            #expect(zip(F.scalars, same.scalars).allSatisfy { abs($0 - $1 / 2) < 1e-5 })
        }
        var pairGenerator = RandomGenerator(seed: 3)
        let pair = EKTMRouter(width: 6, normalisation: .pair, generator: &pairGenerator)
        for F in pair(ctr: same, cvr: [same, same, same]).knowledge {
            #expect(zip(F.scalars, same.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func oneCVRTaskHasWeightOneAndAveragesWithCTR() {
        var generator = RandomGenerator(seed: 4)
        let router = EKTMRouter(width: 4, generator: &generator)
        let f0 = Tensor.randomNormal([7, 4], using: &generator), f1 = Tensor.randomNormal([7, 4], using: &generator)
        let (knowledge, weights) = router(ctr: f0, cvr: [f1])
        #expect(weights.scalars == Array(repeating: 1, count: 7))
        let expected = zip(f0.scalars, f1.scalars).map { ($0 + $1) / 2 }
        #expect(zip(knowledge[0].scalars, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func hingeAndHardExampleWeightByHand() {
        let z = Tensor([0.5, -1, 2]), plain = Tensor([1, -2, 0]), y = Tensor([1, 0, 0])
        func bce(_ z: Float, _ y: Float) -> Float { log1p(exp(-abs(z))) + max(z, 0) - z * y }
        func sigmoid(_ z: Float) -> Float { 1 / (1 + exp(-z)) }
        for gamma: Float in [0, 1, 2] {
            var expected: Float = 0
            for b in 0..<3 {
                let excess = max(0, bce(z.scalars[b], y.scalars[b]) - bce(plain.scalars[b], y.scalars[b]))
                expected += Float(pow(Double(abs(y.scalars[b] - sigmoid(plain.scalars[b]))), Double(gamma))) * excess
            }
            let hinge = EKTMEnhancer.hinge(logits: z, plainLogits: plain, labels: y, gamma: gamma).scalar
            #expect(abs(hinge - expected / 3) < 1e-5, "gamma \(gamma): \(hinge) vs \(expected / 3)")
        }
        // Chained: product BCE with p^- = σ(z_c)σ(z^-); the chained logit gets no gradient.
        let chained = Tensor([0.3, 1, -1], requiresGradient: true), zz = Tensor([0.5, -1, 2], requiresGradient: true)
        let hinge = EKTMEnhancer.hinge(logits: zz, plainLogits: plain, labels: y, chainedLogits: chained, gamma: 1)
        var expected: Float = 0
        for b in 0..<3 {
            func product(_ z: Float) -> Float {
                let p = sigmoid(chained.scalars[b]) * sigmoid(z)
                return -(y.scalars[b] * log(p) + (1 - y.scalars[b]) * log(1 - p))
            }
            let excess = max(0, product(zz.scalars[b]) - product(plain.scalars[b]))
            expected += abs(y.scalars[b] - sigmoid(chained.scalars[b]) * sigmoid(plain.scalars[b])) * excess
        }
        #expect(abs(hinge.scalar - expected / 3) < 1e-5)
        hinge.backward()
        #expect(chained.gradient == nil || chained.gradient!.scalars.allSatisfy { $0 == 0 })
        #expect(zz.gradient != nil)
    }

    @Test func enhancedObjectiveAddsTheWeightedHinge() throws {
        let dataset = try ModelZooTests.world("funnel")
        let model = try ModelKind.ektm.make(dataset: dataset, configuration: Self.configuration(#", "backbone": "ple", "enhancedWeight": 0.5"#, backbone: .ple), seed: 2)
        let batch = try MultiTaskModelTests.batch(model, dataset: dataset)
        let outputs = try model(batch)
        #expect(Set(outputs.keys) == ["ctr", "ctcvr", "ctcvr.without_transfer"])
        let objective = try model.objective(outputs, batch: batch)
        let labels = try batch.tensor("conversion")
        let bce = Losses.binaryCrossEntropy(logits: outputs["ctcvr"]!, labels: labels).scalar
        let hinge = objective.logs["ctcvr_hinge"]!.scalar
        #expect(hinge >= 0 && hinge.isFinite)
        #expect(abs(objective.tasks[1].loss.scalar - (bce + 0.5 * hinge)) < 1e-5)
        #expect(model.evaluationTasks.map(\.name) == ["ctr", "ctcvr"])
    }

    @Test func ablationsBuildAndPredict() throws {
        let dataset = try ModelZooTests.world("funnel")
        for flags in [#", "router": false"#, #", "enhancedModule": false"#, #", "router": false, "enhancedModule": false"#] {
            let model = try ModelKind.ektm.make(dataset: dataset, configuration: Self.configuration(flags), seed: 1)
            let batch = try MultiTaskModelTests.batch(model, dataset: dataset)
            let outputs = try model(batch)
            let objective = try model.objective(outputs, batch: batch)
            #expect(objective.tasks.allSatisfy { $0.loss.scalar.isFinite }, "\(flags)")
            #expect(flags.contains("enhancedModule") == (objective.logs["ctcvr_hinge"] == nil))
        }
    }

    @Test func refusalsNameTheField() throws {
        let dataset = try ModelZooTests.world("funnel")
        let cases: [(String, String)] = [
            (#"{"backbone": "transformer"}"#, "modelConfiguration.backbone"),
            (#"{"tasks": [{"name": "ctr", "label": "click"}]}"#, "field 'modelConfiguration.tasks': 1 task"),
            (#"{"tasks": [{"name": "ctr", "label": "click"}, {"name": "buy", "label": "purchase"}]}"#,
             "field 'modelConfiguration.tasks[1].label': no label column 'purchase'"),
            (#"{"enhancedWeight": -1}"#, "field 'modelConfiguration.enhancedWeight'"),
            (#"{"hardExampleGamma": -0.5}"#, "field 'modelConfiguration.hardExampleGamma'"),
            (#"{"transmitterHidden": 0}"#, "field 'modelConfiguration.transmitterHidden'"),
            (#"{"backbone": "ple", "sharedExperts": 0, "taskExperts": 0}"#, "field 'modelConfiguration.sharedExperts'"),
            (#"{"backbone": "mmoe", "experts": 0}"#, "field 'modelConfiguration.experts'"),
            (#"{"router": 1}"#, "modelConfiguration.router"),
        ]
        for (configuration, message) in cases {
            #expect {
                try ModelKind.ektm.make(dataset: dataset, configuration: Data(configuration.utf8), seed: 1)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }
}
