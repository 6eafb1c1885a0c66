import ArgumentParser
import Foundation
import FunnelBenchmarks
import FunnelData
import FunnelModels

/// `funnel bench …`: benchmarks, measured and printed (never asserted by tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Funnel's speed against its yardsticks.",
        subcommands: [GEMMCommand.self, ESMMCommand.self, MMoECommand.self, BASECommand.self, SASRecCommand.self, FAIRCommand.self, SimulateBenchmarkCommand.self, WatchTimeLabelsCommand.self, ReLoopMemoryCommand.self, LanguageModelBenchCommand.self])
}

extension BenchCommand {
    struct GEMMCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gemm",
            abstract: "GFLOP/s of the SGEMM kernels on 1 and 2 threads, and OpenBLAS's when present.",
            discussion: """
                Shapes M×K×N: 1024×256×128, 1024×512×256, 1024×128×64, 1024×64×1 and 2048³, each in the NN, NT and TN forms. OpenBLAS (libopenblas.so.0) is loaded at run time when installed, for example with `apt-get install libopenblas0-pthread`, and measured on 1 thread in the same run, alternating with Funnel.

                Example: swift run -c release funnel bench gemm --json
                """)

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let rows = GEMMBenchmark.run(progress: json ? nil : { row in
                FileHandle.standardError.write(Data("measured \(row.shape) \(row.form.rawValue)\n".utf8))
            })
            if json {
                print(try encodeJSON(rows))
            } else {
                print(GEMMBenchmark.table(rows))
            }
        }
    }

    struct ESMMCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "esmm",
            abstract: "Train the ESMM network of torch_esmm.py for one epoch; samples/s, memory, AUC.",
            discussion: """
                The data are the rows `torch_esmm.py --dump DIR` writes, converted once:
                  python3 ../shared/bench/torch_esmm.py --dump /tmp/esmm-dump
                  funnel data convert --format esmm-dump /tmp/esmm-dump data/esmm

                With --reference, PyTorch (`pip install torch==2.13.0+cpu`) runs the same work in the same invocation (--opt dense-fused and --opt dense, one epoch each) and the ratios are printed.

                Example: swift run -c release funnel bench esmm --data data/esmm --reference ../shared/bench/torch_esmm.py
                """)

        @Option(help: "The converted dataset folder (schema.json + train/test).")
        var data: String

        @Option(help: "torch_esmm.py, to run as the reference in the same invocation.")
        var reference: String?

        @Option(help: "Threads for Funnel and the reference.")
        var threads = 2

        @Option(help: "Rounds of Funnel then the reference, one after the other; with more than one, the median of the rounds' ratios is printed too (a shared host's noise moves single ratios by ±20 %).")
        var rounds = 1

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func validate() throws {
            guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        }

        func run() throws {
            var options = ESMMBenchmark.Options(dataDirectory: data)
            options.threads = threads
            options.referenceScript = reference
            options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            var results: [[ESMMBenchmark.Result]] = []
            for round in 1...rounds {
                if rounds > 1 { options.log("round \(round) of \(rounds)") }
                results.append(try ESMMBenchmark.run(options))
                if !json { print((rounds > 1 ? "round \(round):\n" : "") + ESMMBenchmark.table(results[round - 1])) }
            }
            if json {
                print(rounds == 1 ? try encodeJSON(results[0]) : try encodeJSON(results))
            } else if rounds > 1, let summary = ESMMBenchmark.medianRatios(results) {
                print(summary)
            }
        }
    }
}

extension BenchCommand {
    struct MMoECommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mmoe",
            abstract: "Train the registry model mmoe as torch_mmoe.py for one epoch; samples/s, memory, AUC per task.",
            discussion: """
                The configuration is Benchmarks/torch_mmoe.py's (multitask.md §0–§1, smaller than §0's defaults): 16 categorical fields + 16 dense, d 16, 8 experts (256, 128), towers (64, 32), BatchNorm, dropout 0.2, tasks ctr/click and ctcvr/conversion, Adam lr 1e-3, batch 2048. The data are the rows its --dump writes, already a dataset folder:
                  python3 Benchmarks/torch_mmoe.py --dump /tmp/mmoe-data

                With --reference, PyTorch (`pip install torch==2.13.0+cpu scikit-learn`) runs the same work in the same invocation (Adam fused=True, one epoch) and the ratios and the bar (training ≥ 1.5×, AUC within 0.005) are printed.

                Example: swift run -c release funnel bench mmoe --data /tmp/mmoe-data --reference Benchmarks/torch_mmoe.py
                """)

        @Option(help: "The dataset folder torch_mmoe.py --dump wrote (schema.json + train/test).")
        var data: String

        @Option(help: "torch_mmoe.py, to run as the reference in the same invocation.")
        var reference: String?

        @Option(help: "Threads for Funnel and the reference.")
        var threads = 2

        @Option(help: "Initialisation seed: Funnel's model seed and the reference's --init-seed (one-epoch AUCs move with it).")
        var seed: UInt64 = 0

        @Option(help: "Comma-separated seeds (replaces --seed): each runs in turn, then every system's mean ± standard deviation, with the AUC bar judged on the means.")
        var seeds: String?

        @Option(help: "PyTorch optimizer variants, comma-separated (dense-fused, dense).")
        var variants = "dense-fused"

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            var options = MMoEBenchmark.Options(dataDirectory: data)
            options.threads = threads
            options.referenceScript = reference
            options.referenceVariants = variants.split(separator: ",").map(String.init)
            options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let seedList = try seeds.map { list in
                try list.split(separator: ",").map { text in
                    guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--seeds: '\(text)' is not a seed (expected comma-separated whole numbers, as 0,1,2)")
                    }
                    return value
                }
            } ?? [seed]
            var runs: [[MMoEBenchmark.Result]] = []
            for value in seedList {
                options.seed = value
                let results = try MMoEBenchmark.run(options)
                runs.append(results)
                if !json { print((seedList.count > 1 ? "seed \(value)\n" : "") + MMoEBenchmark.table(results)) }
            }
            if json {
                // One seed: the systems' results; several: one such list per seed, in seed order.
                print(runs.count == 1 ? try encodeJSON(runs[0]) : try encodeJSON(runs))
            } else if runs.count > 1 {
                print("\n" + MMoEBenchmark.summary(runs, seeds: seedList))
            }
        }
    }
}

extension BenchCommand {
    struct BASECommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "base",
            abstract: "Train the registry model base (ETA-like BASE of USD) on the first worlds' demo homepage for one epoch; samples/s, memory, AUC.",
            discussion: """
                The world is the first worlds' demo (the homepage scenario at 20,000 users × 14 days with --preset first-worlds, kept so that the numbers stay comparable; the last 2 days are the test split) and the configuration that demo's BASE: long sequence 50, short 10, 20 retrieved by 32-bit SimHash, embeddings 16, target attention 64 dims / 2 heads, DIN [80, 40], MLP [200, 80]; Adam lr 0.01, batch 1024, one epoch in the split's order (no shuffling) after 30 warm-up batches.

                With --reference, the rows Funnel's batcher cuts are written to a dump (header.json + little-endian arrays) and Benchmarks/torch_base.py (`pip install torch==2.13.0+cpu`) trains the same network on them in the same invocation, once per variant: dense-fused (Adam fused=True), dense (Adam), sparse (SparseAdam on the tables: the closest to Funnel's lazy Adam); --compile adds a dense-fused run whose training step is torch.compile'd. The reference starts from Funnel's initial weights and SimHash projection (written into the dump) and prints how far its untrained logits are from Funnel's, so the AUCs differ only by arithmetic and optimizer; --independent-init lets it draw its own.

                Example: swift run -c release funnel bench base --reference Benchmarks/torch_base.py
                """)

        @Option(help: "torch_base.py, to run as the reference in the same invocation.")
        var reference: String?

        @Option(help: "Threads for Funnel and the reference.")
        var threads = 2

        @Option(help: "Users to simulate.")
        var users = 20_000

        @Option(help: "Days to simulate (the last 2 are the test split).")
        var days = 14

        @Option(help: "The seed of the world, of Funnel's model and the reference's --init-seed.")
        var seed: UInt64 = 1

        @Option(help: "PyTorch optimizer variants, comma-separated (dense-fused, dense, sparse).")
        var variants = "dense-fused,dense,sparse"

        @Flag(help: "Let the reference draw its own initial weights (--init-seed) instead of starting from Funnel's.")
        var independentInit = false

        @Flag(help: "Also run the dense-fused reference with torch.compile (training step; about 90 s of compilation).")
        var compile = false

        @Option(help: "Keep the reference's dump in this folder (default: a temporary folder, removed).")
        var dump: String?

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            var options = BASEBenchmark.Options()
            options.threads = threads
            options.users = users
            options.days = days
            options.seed = seed
            options.referenceScript = reference
            options.referenceVariants = variants.split(separator: ",").map(String.init)
            options.referenceCompile = compile
            options.referenceFunnelInit = !independentInit
            options.dumpDirectory = dump
            options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let results = try BASEBenchmark.run(options)
            print(json ? try encodeJSON(results) : BASEBenchmark.table(results))
        }
    }
}

extension BenchCommand {
    struct SASRecCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sasrec",
            abstract: "Train SASRec (preNorm) as torch_sasrec.py on its planted sequences; train and inference sequences/s, HR@10, NDCG@10, memory.",
            discussion: """
                The configuration is ../shared/bench/torch_sasrec.py's: 2 pre-LN blocks, d 64, 2 heads, FFN 256 GELU, dropout 0, final LN, learned positions, 10,000 items, length 50, batch 256, Adam lr 1e-3. The data are its planted process (Zipf popularity; with p = 0.7 the next item is one of 5 fixed successors), drawn in Swift: 50,000 training and 5,000 held-out sequences of 51 items. Training: 10 warm-up batches, then 3 timed segments (median, min–max). Inference scores all items at the last position.

                With --reference, PyTorch (`pip install torch==2.13.0+cpu`) runs the same loss, threads, warm-up and segments in the same invocation, and the ratios and the bar (training ≥ 2× on sampled100, ≥ 1× on full) are printed.

                Example: swift run -c release funnel bench sasrec --loss all --reference ../shared/bench/torch_sasrec.py
                """)

        @Option(help: "sampled100, bce1, full or all.")
        var loss = "sampled100"

        @Option(help: "torch_sasrec.py, to run as the reference in the same invocation.")
        var reference: String?

        @Option(help: "Threads for Funnel and the reference.")
        var threads = 2

        @Option(help: "Training sequences (the reference's --train-seqs).")
        var trainSequences = 50_000

        @Option(help: "Held-out sequences.")
        var testSequences = 5_000

        @Option(help: "Batches per timed segment (0: the rest of one pass split into 3).")
        var segmentBatches = 0

        @Option(help: "Catalogue size.")
        var items = 10_000

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            var options = SASRecBenchmark.Options()
            if loss == "all" {
                options.losses = SASRecBenchmark.Loss.allCases
            } else {
                guard let value = SASRecBenchmark.Loss(rawValue: loss) else {
                    throw ValidationError("--loss: '\(loss)' is not sampled100, bce1, full or all")
                }
                options.losses = [value]
            }
            options.threads = threads
            options.referenceScript = reference
            options.trainSequences = trainSequences
            options.testSequences = testSequences
            options.segmentBatches = segmentBatches
            options.itemCount = items
            options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let results = try SASRecBenchmark.run(options)
            print(json ? try encodeJSON(results) : SASRecBenchmark.table(results))
        }
    }
}

extension BenchCommand {
    struct SimulateBenchmarkCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate",
            abstract: "Exposures per second written to the binary format, and peak memory, per scenario.",
            discussion: "Example: swift run -c release funnel bench simulate --users 100000 --days 30")

        @Option(help: "Users per scenario.")
        var users = 100_000

        @Option(help: "Days per scenario.")
        var days = 30

        @Option(help: "Threads.")
        var threads = 2

        @Option(help: "A scratch folder (the datasets are removed afterwards).")
        var directory = NSTemporaryDirectory()

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let results = try SimulationBenchmark.run(users: users, days: days, threads: threads, directory: directory)
            print(json ? try encodeJSON(results) : SimulationBenchmark.table(results))
        }
    }
}

extension BenchCommand {
    struct FAIRCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fair",
            abstract: "Train FAIR at the paper's and the experiments' sizes; tokens/s, sequences/s, peak memory and its slope per sequence, decoding ms/user.",
            discussion: """
                Planted sequences (10,000 items, 50 per history) with random unique semantic IDs (M digits × 256 codes). The paper's size (sequential.md §4.6: D 448, 2 blocks, 4 heads, FFN 1024, M 32 → 1,600 tokens, dropout 0.5/0.5) is trained at small batches for FAIR (focused attention, noise and MI terms) and the standard-attention baseline without auxiliary terms; the peaks give a memory slope per sequence, the largest batch that fits --budget-mib and the predicted peak at batch 256. The experiments' size (D 64, FFN 256, M 4 → 200 tokens) is trained at --experiment-batch for FAIR, the baseline and the autoregressive variant. Adam lr 3e-4. Decoding: the evaluation forward of a user batch per user, for exhaustive scoring, trie beam search and graph decoding (its one-off build apart), and the autoregressive KV-cache beam search at M 4. A run predicted above --limit-mib is skipped, not tried.

                Example: swift run -c release funnel bench fair --json /tmp/fair.json
                """)

        @Option(help: "Threads.")
        var threads = 2

        @Option(help: "Catalogue size.")
        var items = 10_000

        @Option(help: "Comma-separated batch sizes at the paper's size (ascending).")
        var paperBatches = "1,2,4,8"

        @Option(help: "Semantic-ID digits at the paper's size (tokens per sequence: 50·M).")
        var paperDigits = 32

        @Option(help: "Batch size at the experiments' size (M 4, D 64).")
        var experimentBatch = 256

        @Option(help: "Warm-up batches per measurement.")
        var warmup = 1

        @Option(help: "Timed one-batch segments per measurement.")
        var segments = 2

        @Option(help: "Users per decoding batch at the paper's size.")
        var paperDecodeUsers = 8

        @Option(help: "Users per decoding batch at the experiments' size.")
        var experimentDecodeUsers = 64

        @Option(help: "Comma-separated trie beam widths.")
        var beamWidths = "20,50"

        @Option(help: "The machine's memory the largest fitting batch is reported for (MiB).")
        var budgetMib = 24_576.0

        @Option(help: "Skip a run predicted to peak above this (MiB).")
        var limitMib = 16_384.0

        @Option(help: "Also write the results as JSON to this file.")
        var json: String?

        func run() throws {
            func integers(_ text: String, _ name: String) throws -> [Int] {
                try text.split(separator: ",").map {
                    guard let value = Int($0.trimmingCharacters(in: .whitespaces)), value > 0 else {
                        throw ValidationError("--\(name): '\($0)' is not a positive whole number")
                    }
                    return value
                }
            }
            var options = FAIRBenchmark.Options()
            options.threads = threads
            options.itemCount = items
            options.paperBatches = try integers(paperBatches, "paper-batches").sorted()
            options.paper.digits = paperDigits
            options.experimentBatch = experimentBatch
            options.warmupBatches = warmup
            options.timedBatches = segments
            options.paperDecodeUsers = paperDecodeUsers
            options.experimentDecodeUsers = experimentDecodeUsers
            options.beamWidths = try integers(beamWidths, "beam-widths")
            options.memoryBudgetMebibytes = budgetMib
            options.memoryLimitMebibytes = limitMib
            options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let report = try FAIRBenchmark.run(options)
            print(FAIRBenchmark.table(report))
            if let json {
                try AtomicFile.write(Data((try encodeJSON(report) + "\n").utf8), to: json)
            }
        }
    }
}

extension BenchCommand {
    struct WatchTimeLabelsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch-time-labels",
            abstract: "Seconds to fit and compute every watch-time label (watchtime.md §0.5, D2Co) on a million exposures.",
            discussion: "Example: swift run -c release funnel bench watch-time-labels --rows 1000000")

        @Option(help: "Training exposures (taken from a simulated watchtime world).")
        var rows = 1_000_000

        @Option(help: "A scratch folder (the world is removed afterwards).")
        var directory = NSTemporaryDirectory()

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let results = try WatchTimeLabelBenchmark.run(rows: rows, directory: directory)
            print(json ? try encodeJSON(results) : WatchTimeLabelBenchmark.table(results))
        }
    }
}

extension BenchCommand {
    struct ReLoopMemoryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reloop-memory",
            abstract: "Microseconds per sample to read, compensate and write ReLoop2's error memories (sketch and nearest), and their bytes.",
            discussion: """
                ReLoop2 (adaptation.md §2.3): each memory is filled with --fill samples (the nearest-neighbour memory reads at its steady-state size), then --chunks chunks of --rows standard-normal keys of width --dimensions are read, compensated and written; the medians per sample are printed, to compare with the base model's serving time. The sketch's tables take 2^L · K · (d + 3) · 4 bytes (1.7 GiB at the defaults K 100, L 16, d 64): lower --bits to fit.

                Example: swift run -c release funnel bench reloop-memory --rows 1024 --dimensions 64
                """)

        @Option(help: "Rows per chunk.")
        var rows = 1024

        @Option(help: "Key width d (the hidden layer).")
        var dimensions = 64

        @Option(help: "Samples written before timing.")
        var fill = 100_000

        @Option(help: "Timed chunks (the median is reported).")
        var chunks = 5

        @Option(help: "Sketch arrays K.")
        var arrays = 100

        @Option(help: "Sketch bits L (2^L buckets per array).")
        var bits = 16

        @Option(help: "Nearest: neighbours k read per query.")
        var neighbours = 100

        @Option(help: "Nearest: the most samples held.")
        var capacity = 100_000

        @Option(help: "Nearest: error threshold σ.")
        var errorThreshold: Float = 0

        @Option(help: "Threads.")
        var threads = 2

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            var configuration = ReLoopConfiguration()
            configuration.arrays = arrays
            configuration.bits = bits
            configuration.neighbours = neighbours
            configuration.capacity = capacity
            configuration.errorThreshold = errorThreshold
            do {
                try configuration.validate(ModelConfigurationCheck("bench"))
            } catch {
                throw ValidationError("\(error)")
            }
            guard rows >= 1, dimensions >= 1, fill >= 0, chunks >= 1 else {
                throw ValidationError("--rows, --dimensions and --chunks must be at least 1, --fill at least 0")
            }
            var options = ReLoopMemoryBenchmark.Options()
            options.rows = rows
            options.dimensions = dimensions
            options.filledSamples = fill
            options.timedChunks = chunks
            options.threads = threads
            options.configuration = configuration
            options.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let results = ReLoopMemoryBenchmark.run(options)
            print(json ? try encodeJSON(results) : ReLoopMemoryBenchmark.table(results))
        }
    }
}
