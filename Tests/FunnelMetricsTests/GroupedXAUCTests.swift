import Testing

@testable import FunnelMetrics

@Suite struct GroupedXAUCTests {
    @Test func weighsUsersByRowsAndDropsUsersWithoutWatchTime() throws {
        let xgauc = try GroupedXAUC(
            predictions: [1.0, 2, 1, 2, 3, 5, 6], targets: [1.0, 2, 3, 2, 1, 0, 0],
            groups: ["a", "a", "b", "b", "b", "c", "c"])
        expectClose(xgauc.value, (2 * 1 + 3 * 0) / 5.0, relative: 1e-15)
        #expect(xgauc.groupsUsed == 2 && xgauc.groupsDropped == 1 && xgauc.rowsDropped == 2)
    }

    @Test func matchesAPerUserBruteForceLoop() throws {
        let watchTime = try ReferenceFixture.load().watchTime
        let xgauc = try GroupedXAUC(
            predictions: watchTime.predictions, targets: watchTime.targets, groups: watchTime.groups
        )
        expectClose(xgauc.value, watchTime.expected.groupedXAUC)
        #expect(xgauc.groupsUsed == watchTime.expected.groupsUsed)
        #expect(xgauc.groupsDropped == watchTime.expected.groupsDropped)
        #expect(xgauc.rowsDropped == watchTime.expected.rowsDropped)
    }

    @Test func noWatchTimeAnywhereThrows() {
        #expect(throws: MetricError.self) {
            try GroupedXAUC(predictions: [1.0, 2], targets: [0.0, 0], groups: [1, 2])
        }
        #expect(throws: MetricError.emptyInput(metric: "XGAUC")) {
            try GroupedXAUC(predictions: [Double](), targets: [Double](), groups: [Int]())
        }
    }
}
