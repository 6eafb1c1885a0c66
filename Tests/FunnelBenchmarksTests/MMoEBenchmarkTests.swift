import Testing

@testable import FunnelBenchmarks

/// `bench mmoe --seeds`: the summary averages each system over the seeds and judges the AUC bar
/// on the means, the speed bar on the median ratio.
@Suite struct MMoEBenchmarkTests {
    private func result(_ system: String, speed: Double, ctr: Double, ctcvr: Double) -> MMoEBenchmark.Result {
        MMoEBenchmark.Result(
            system: system, trainSamplesPerSecond: speed, inferenceSamplesPerSecond: 1, peakResidentMebibytes: 1,
            ctrAUC: ctr, ctcvrAUC: ctcvr, trainingRows: 1, testRows: 1, threads: 2)
    }

    @Test func summaryJudgesTheMeans() {
        // Seed by seed the CTCVR gaps are 0.01 and −0.008 (each fails the 0.005 bar); the means
        // differ by 0.001.
        let runs = [
            [result("Funnel mmoe", speed: 200, ctr: 0.75, ctcvr: 0.74), result("PyTorch", speed: 100, ctr: 0.75, ctcvr: 0.73)],
            [result("Funnel mmoe", speed: 300, ctr: 0.76, ctcvr: 0.74), result("PyTorch", speed: 100, ctr: 0.76, ctcvr: 0.748)],
            [result("Funnel mmoe", speed: 120, ctr: 0.74, ctcvr: 0.74), result("PyTorch", speed: 100, ctr: 0.74, ctcvr: 0.739)],
        ]
        let text = MMoEBenchmark.summary(runs, seeds: [0, 1, 2])
        #expect(text.contains("over 3 seeds (0, 1, 2)"))
        #expect(text.contains("Funnel mmoe                         207 ±    90   0.7500 ± 0.0100   0.7400 ± 0.0000"))
        #expect(text.contains("training ≥ 1.50× holds (median ratio 2.00×, range 1.20–3.00×), mean AUCs within 0.005 holds (largest gap 0.0010)"))
        let slow = runs.map { [result("Funnel mmoe", speed: 140, ctr: $0[0].ctrAUC, ctcvr: 0.73), $0[1]] }
        #expect(MMoEBenchmark.summary(slow, seeds: [0, 1, 2]).contains("training ≥ 1.50× FAILS (median ratio 1.40×, range 1.40–1.40×), mean AUCs within 0.005 FAILS (largest gap 0.0090)"))
    }
}
