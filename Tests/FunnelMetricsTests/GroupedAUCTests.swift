import Testing

@testable import FunnelMetrics

@Suite struct GroupedAUCTests {
    private func oracle(_ weighting: GroupedAUC.Weighting) throws -> GroupedAUC {
        try GroupedAUC(
            scores: GroupOracle.scores, labels: GroupOracle.labels, groups: GroupOracle.users,
            weighting: weighting)
    }

    @Test func uniformWeightsGiveGAUCAverage() throws {
        let gauc = try oracle(.uniform)
        expectClose(gauc.value, (1 + 0 + 0.75) / 3, relative: 1e-12)
        #expect(abs(gauc.value - 0.583333) < 5e-7)
        #expect(gauc.totalWeight == 3)
    }

    @Test func exposureWeightsGiveGAUCShow() throws {
        let gauc = try oracle(.exposures)
        expectClose(gauc.value, (3 * 1 + 2 * 0 + 4 * 0.75) / 9, relative: 1e-12)
        #expect(abs(gauc.value - 0.666667) < 5e-7)
    }

    @Test func clickWeightsGiveGAUCClick() throws {
        let gauc = try oracle(.clicks)
        #expect(gauc.value == 0.625)
        #expect(gauc.totalWeight == 4)
    }

    @Test(arguments: GroupedAUC.Weighting.allCases)
    func singleClassGroupIsDroppedAndReported(weighting: GroupedAUC.Weighting) throws {
        let gauc = try oracle(weighting)
        #expect(gauc.groupsUsed == 3)
        #expect(gauc.groupsDropped == 1)
        #expect(gauc.rowsDropped == 2)
        #expect(gauc.weighting == weighting)
    }

    @Test func allPositiveGroupIsDroppedToo() throws {
        let gauc = try GroupedAUC(
            scores: [0.9, 0.1, 0.3, 0.4], labels: [1.0, 0, 1, 1], groups: [1, 1, 2, 2],
            weighting: .uniform)
        #expect(gauc.value == 1)
        #expect(gauc.groupsDropped == 1 && gauc.rowsDropped == 2)
    }

    @Test func groupsByACompositeKeyWithRowsInAnyOrder() throws {
        struct UserDay: Hashable { let user: Int, day: Int }
        // User 7 has both classes over two days but one class within each day.
        let keys = [
            UserDay(user: 7, day: 1), UserDay(user: 8, day: 1), UserDay(user: 7, day: 2),
            UserDay(user: 8, day: 1), UserDay(user: 7, day: 1),
        ]
        let scores: [Float] = [0.2, 0.9, 0.8, 0.1, 0.3]
        let labels: [Float] = [0, 1, 1, 0, 0]
        let byDay = try GroupedAUC(
            scores: scores, labels: labels, groups: keys, weighting: .exposures)
        #expect(byDay.value == 1 && byDay.groupsUsed == 1 && byDay.groupsDropped == 2)
        #expect(byDay.rowsDropped == 3)
        let byUser = try GroupedAUC(
            scores: scores, labels: labels, groups: keys.map(\.user), weighting: .exposures)
        #expect(byUser.value == 1 && byUser.groupsUsed == 2 && byUser.groupsDropped == 0)
    }

    @Test func matchesAPerGroupLoop() throws {
        let binary = try ReferenceFixture.load().binary
        let expected = binary.expected
        let values: [(GroupedAUC.Weighting, Double)] = [
            (.uniform, expected.groupedAUCUniform), (.exposures, expected.groupedAUCExposures),
            (.clicks, expected.groupedAUCClicks),
        ]
        for (weighting, value) in values {
            let gauc = try GroupedAUC(
                scores: binary.scores, labels: binary.labels, groups: binary.groups,
                weighting: weighting)
            expectClose(gauc.value, value)
            #expect(gauc.groupsUsed == expected.groupsUsed)
            #expect(gauc.groupsDropped == expected.groupsDropped)
            #expect(gauc.rowsDropped == expected.rowsDropped)
        }
    }

    @Test func everyGroupSingleClassThrows() {
        #expect(throws: MetricError.self) {
            try GroupedAUC(
                scores: [0.1, 0.2, 0.3], labels: [0.0, 0, 1], groups: ["u", "u", "v"],
                weighting: .uniform)
        }
        let error = MetricError.noUsableGroup(metric: "GAUC", groups: 2, reason: "one class")
        #expect(error.description.contains("all 2 groups were dropped"))
    }

    @Test func emptyAndMismatchedInputThrow() {
        #expect(throws: MetricError.emptyInput(metric: "GAUC")) {
            try GroupedAUC(
                scores: [Double](), labels: [Double](), groups: [Int](), weighting: .clicks)
        }
        #expect(
            throws: MetricError.countMismatch(
                metric: "GAUC", argument: "groups", expected: 2, actual: 1)
        ) {
            try GroupedAUC(scores: [0.1, 0.2], labels: [0.0, 1], groups: [1], weighting: .clicks)
        }
    }
}
