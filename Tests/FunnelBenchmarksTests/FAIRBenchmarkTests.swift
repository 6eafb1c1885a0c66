import Testing

@testable import FunnelBenchmarks

/// `bench fair` end to end at tiny sizes: every figure of the report is finite and positive,
/// every measurement is there, and the table names the variants and decoders.
@Suite struct FAIRBenchmarkTests {
    @Test func tinyRunReportsFinitePositiveFigures() throws {
        var options = FAIRBenchmark.Options()
        options.threads = 1
        options.itemCount = 60
        options.length = 4
        options.codeSize = 8
        options.paper = .init(name: "paper", digits: 3, dimensions: 16, feedForwardDimensions: 32)
        options.paperBatches = [1, 2, 4]
        options.experiment = .init(name: "experiment", digits: 2, dimensions: 8, feedForwardDimensions: 16)
        options.experimentBatch = 8
        options.paperDecodeUsers = 3
        options.experimentDecodeUsers = 4
        options.beamWidths = [2, 5]
        options.autoregressiveBeamWidth = 3
        let report = try FAIRBenchmark.run(options)
        // 2 variants × 3 batches at the paper's size, 3 variants at the experiments'.
        #expect(report.training.count == 9)
        #expect(report.skipped.isEmpty)
        for row in report.training {
            for value in [row.tokensPerSecondMedian, row.tokensPerSecondMinimum, row.tokensPerSecondMaximum,
                          row.sequencesPerSecondMedian, row.peakResidentMebibytes, row.finalLoss] {
                #expect(value.isFinite && value > 0, "\(row.variant) batch \(row.batchSize)")
            }
            #expect(row.sequencesPerSecondMinimum <= row.sequencesPerSecondMedian)
            #expect(row.sequencesPerSecondMedian <= row.sequencesPerSecondMaximum)
        }
        #expect(report.memoryFits.count == 2)
        for fit in report.memoryFits {
            #expect(fit.slopeMebibytes.isFinite && fit.interceptMebibytes.isFinite && fit.predictedPeakMebibytes.isFinite)
            #expect(fit.batches == [1, 2, 4])
        }
        #expect(report.tensors.allSatisfy { $0.mebibytesPerSequence > 0 && $0.keptPerSequence > 0 })
        // Paper and experiment FAIR: exhaustive, 2 beams, graph, each as the forward and alone;
        // autoregressive: 1 beam.
        #expect(report.decoding.count == 8 + 8 + 1)
        #expect(report.decoding.filter { $0.part == "decoder" }.count == 8)
        for row in report.decoding {
            #expect(row.millisecondsPerUser.isFinite && row.millisecondsPerUser > 0, "\(row.size) \(row.decoder)")
        }
        #expect(report.decoding.last?.prediction == "autoregressive")
        #expect(report.graphBuilds.count == 2 && report.graphBuilds.allSatisfy { $0.seconds.isFinite && $0.seconds > 0 })
        let table = FAIRBenchmark.table(report)
        for name in ["fair", "standard", "autoregressive", "exhaustive", "beam", "graph", "slope"] {
            #expect(table.contains(name))
        }
    }

    @Test func leastSquaresRecoversALine() {
        let (slope, intercept) = FAIRBenchmark.leastSquares([1, 2, 4, 8], [110, 120, 140, 180])
        #expect(Swift.abs(slope - 10) < 1e-9 && Swift.abs(intercept - 100) < 1e-9)
    }

    /// Options the run cannot use are refused before any work, naming the option.
    @Test func unusableOptionsAreRefusedByName() {
        func refusal(_ change: (inout FAIRBenchmark.Options) -> Void) -> BenchmarkOptionError? {
            optionRefusal(FAIRBenchmark.Options(), { try $0.validate() }, change)
        }
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.threads = 0 }?.option == "--threads")
        #expect(refusal { $0.itemCount = 0 }?.option == "--items")
        #expect(refusal { $0.timedBatches = 0 }?.option == "--segments")
        #expect(refusal { $0.paperBatches = [] }?.option == "--paper-batches")
        // 256 codes give 256 one-digit tuples: too few for 10,000 items, enough for 256.
        #expect(refusal { $0.paper.digits = 1 }?.option == "--paper-digits")
        #expect(refusal {
            $0.paper.digits = 1
            $0.itemCount = 256
        } == nil)
    }

    @Test func randomCodesAreUniqueTuples() {
        var options = FAIRBenchmark.Options()
        options.itemCount = 200
        options.codeSize = 4
        let codes = FAIRBenchmark.randomCodes(options: options, digits: 4)
        #expect(codes.itemCount == 200 && codes.collisions == 0)
        #expect(codes.codes.allSatisfy { (0..<4).contains($0) })
    }
}
