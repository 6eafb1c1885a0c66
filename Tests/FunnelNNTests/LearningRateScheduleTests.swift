import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelNN

@Suite struct LearningRateScheduleTests {
    @Test func rates() {
        #expect(LearningRateSchedule.constant.learningRate(base: 1, step: 99) == 1)
        expectClose(
            [LearningRateSchedule.step(every: 10, factor: 0.5).learningRate(base: 1, step: 25)],
            [0.25])
        let cosine = LearningRateSchedule.warmupCosine(
            warmupSteps: 10, totalSteps: 110, minimumFactor: 0.1)
        expectClose(
            [cosine.learningRate(base: 1, step: 0), cosine.learningRate(base: 1, step: 9)],
            [0.1, 1])
        expectClose(
            [cosine.learningRate(base: 1, step: 60), cosine.learningRate(base: 1, step: 110)],
            [0.55, 0.1])
    }

    @Test(arguments: [
        (LearningRateSchedule.constant, #"{"kind":"constant"}"#),
        (.step(every: 1000, factor: 0.5), #"{"every":1000,"factor":0.5,"kind":"step"}"#),
        (
            .warmupCosine(warmupSteps: 100, totalSteps: 10000, minimumFactor: 0.25),
            #"{"kind":"warmup-cosine","minimumFactor":0.25,"totalSteps":10000,"warmupSteps":100}"#
        ),
    ])
    func readableJSON(schedule: LearningRateSchedule, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(schedule), as: UTF8.self) == json)
        #expect(
            try JSONDecoder().decode(LearningRateSchedule.self, from: Data(json.utf8)) == schedule)
    }

    @Test func totalStepsLeftOutIsTheRunsTotal() throws {
        let json = #"{"kind": "warmup-cosine", "warmupSteps": 100, "minimumFactor": 0.1}"#
        let schedule = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(json.utf8))
        #expect(schedule == .warmupCosine(warmupSteps: 100, totalSteps: 0, minimumFactor: 0.1))
        #expect(
            schedule.resolved(totalSteps: 500)
                == .warmupCosine(warmupSteps: 100, totalSteps: 500, minimumFactor: 0.1))
        let fixed = LearningRateSchedule.warmupCosine(
            warmupSteps: 1, totalSteps: 9, minimumFactor: 0)
        #expect(fixed.resolved(totalSteps: 500) == fixed)
        #expect(
            LearningRateSchedule.step(every: 3, factor: 0.5).resolved(totalSteps: 500)
                == .step(every: 3, factor: 0.5))
    }

    @Test func unknownKindIsRefusedListingTheKinds() {
        #expect {
            try JSONDecoder().decode(
                LearningRateSchedule.self, from: Data(#"{"kind": "linear"}"#.utf8))
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription
                == "'linear' is not a schedule kind (expected one of constant, step, warmup-cosine)"
                && context.codingPath.map(\.stringValue) == ["kind"]
        }
    }
}
