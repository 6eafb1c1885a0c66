import Foundation
import FunnelData
import FunnelTensor
import Testing

@testable import FunnelSimulation

/// The funnel world with several parallel conversion types after a click (`conversionTypes`,
/// `conversionCorrelation`): the default stays today's single-conversion world byte for byte,
/// the types are reproducible, labelled only on clicks, at their configured base rates, and the
/// correlation knob sets how much their true probabilities move together.
@Suite struct FunnelMultiConversionTests {
    static let users = 2_000
    static let days = 6
    static let types = ["purchase", "add_to_cart", "favourite"]

    static func simulate(seed: UInt64 = 17, _ knobs: [String: String] = [:]) throws -> SimulatedWorld {
        try ScenarioKind.funnel.simulate(users: users, days: days, seed: seed, knobs: knobs)
    }

    static func written(_ world: SimulatedWorld) throws -> (cache: Data, schema: Data) {
        let folder = try TemporaryFolder()
        try world.write(to: folder.path)
        return (
            try Data(contentsOf: URL(fileURLWithPath: Dataset.cachePath(folder.path))),
            try Data(contentsOf: URL(fileURLWithPath: folder.path + "/schema.json"))
        )
    }

    static func fnv1a(_ data: Data) -> UInt64 {
        data.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// FNV-1a of the files `funnel simulate funnel --users 2000 --days 6 --seed 5` wrote before
    /// the conversion types existed (commit 91e5664): 4,407,879 cache bytes, 4,070 schema bytes.
    @Test func defaultKnobsWriteTheSingleConversionWorldByteForByte() throws {
        let files = try Self.written(Self.simulate(seed: 5))
        #expect(files.cache.count == 4_407_879)
        #expect(Self.fnv1a(files.cache) == 0xcf7f_ddf5_7bef_15a0)
        #expect(files.schema.count == 4_070)
        #expect(Self.fnv1a(files.schema) == 0xc471_8b26_bf81_fa13)
        // Naming one type explicitly is the same world.
        #expect(try Self.written(Self.simulate(seed: 5, ["conversionTypes": "1"])).cache == files.cache)
    }

    @Test func sameSeedGivesIdenticalBytesAndAnotherSeedOrCorrelationDoesNot() throws {
        let knobs = ["conversionTypes": "3"]
        let first = try Self.written(Self.simulate(seed: 5, knobs))
        #expect(try Self.written(Self.simulate(seed: 5, knobs)) == first)
        #expect(try Self.written(Self.simulate(seed: 6, knobs)).cache != first.cache)
        #expect(try Self.written(Self.simulate(seed: 5, knobs.merging(["conversionCorrelation": "0.9"]) { $1 })).cache != first.cache)
    }

    @Test(arguments: [2, 3]) func labelsOnlyOnClickedRowsAndTruthsConsistent(types: Int) throws {
        let world = try Self.simulate(["conversionTypes": "\(types)"])
        let names = Array(Self.types.prefix(types))
        let schema = world.schema
        #expect(schema.labels == ["click"] + names)
        #expect(schema.column(named: "conversion") == nil && schema.column(named: "true_cvr") == nil)
        for name in names {
            let cvr = try #require(schema.column(named: "true_cvr_\(name)"))
            #expect(cvr.role == .truth && cvr.truthOf == name && cvr.truthGiven == "click")
            let ctcvr = try #require(schema.column(named: "true_ctcvr_\(name)"))
            #expect(ctcvr.role == .truth && ctcvr.truthOf == name && ctcvr.truthGiven == nil)
        }
        // Clicks are the single-type world's, whatever the types.
        let single = try Self.simulate()
        for (split, table) in world.splits {
            let click = floats(table, "click"), ctr = floats(table, "true_ctr")
            #expect(click == floats(try #require(single.splits[split]), "click"))
            #expect(ctr == floats(try #require(single.splits[split]), "true_ctr"))
            for name in names {
                let label = floats(table, name), cvr = floats(table, "true_cvr_\(name)")
                let ctcvr = floats(table, "true_ctcvr_\(name)")
                var failures: [String] = []
                for row in 0..<table.rowCount where failures.count < 5 {
                    let issues = [
                        label[row] == 0 || label[row] == 1 ? nil : "label not 0/1",
                        label[row] <= click[row] ? nil : "\(name) without click",
                        cvr[row] > 0 && cvr[row] < 1 ? nil : "probability outside (0, 1)",
                        abs(ctcvr[row] - ctr[row] * cvr[row]) <= 4e-7 * ctcvr[row] ? nil : "true_ctcvr ≠ true_ctr·true_cvr",
                    ]
                    failures += issues.compactMap { $0.map { "\(split) row \(row): \($0)" } }
                }
                #expect(failures.isEmpty, "\(failures)")
                #expect(label.contains(1), "\(split): no \(name) at all")
            }
        }
    }

    /// Base rates of clicked rows: purchase ≈ 1 % (conversionBias, as the single-type world),
    /// add_to_cart ≈ e¹ ≈ 2.7× and favourite ≈ e^0.4 ≈ 1.5× purchase; each type's labels agree with
    /// its truth; each type's mean truth is the same for ρ = 0 and ρ = 1 (the mixing keeps the
    /// marginal); raising one type's bias moves only that type.
    @Test func baseRatesAsConfigured() throws {
        func clickedRates(_ world: SimulatedWorld) -> [(truth: Double, observed: Double, clicks: Int)] {
            let tables = ["train", "test"].compactMap { world.splits[$0] }
            let click = tables.flatMap { floats($0, "click") }
            let clicked = click.indices.filter { click[$0] == 1 }
            return Self.types.map { name in
                let truth = tables.flatMap { floats($0, "true_cvr_\(name)") }
                let label = tables.flatMap { floats($0, name) }
                return (mean(clicked.map { truth[$0] }), mean(clicked.map { label[$0] }), clicked.count)
            }
        }
        let rates = clickedRates(try Self.simulate(["conversionTypes": "3"]))
        print("funnel 3 types, CVR of clicks (truth, observed): \(rates.map { ($0.truth, $0.observed) })")
        #expect(rates[0].truth > 0.005 && rates[0].truth < 0.015, "purchase \(rates[0].truth)")
        #expect(rates[1].truth / rates[0].truth > 2.3 && rates[1].truth / rates[0].truth < 3.2, "add_to_cart \(rates[1].truth)")
        #expect(rates[2].truth / rates[0].truth > 1.3 && rates[2].truth / rates[0].truth < 1.7, "favourite \(rates[2].truth)")
        for rate in rates {
            let standardError = (rate.truth * (1 - rate.truth) / Double(rate.clicks)).squareRoot()
            #expect(abs(rate.observed - rate.truth) < 4 * standardError, "observed \(rate.observed) vs truth \(rate.truth)")
        }
        for correlation in ["0", "1"] {
            let other = clickedRates(try Self.simulate(["conversionTypes": "3", "conversionCorrelation": correlation]))
            for (type, rate) in other.enumerated() {
                #expect(abs(rate.truth / rates[type].truth - 1) < 0.1, "ρ \(correlation), \(Self.types[type]): \(rate.truth) vs \(rates[type].truth)")
            }
        }
        let raised = clickedRates(try Self.simulate(["conversionTypes": "3", "favouriteBias": "-4"]))
        #expect(raised[2].truth > 5 * rates[2].truth)
        #expect(raised[0].truth == rates[0].truth && raised[1].truth == rates[1].truth)
    }

    /// Pearson correlation of two types' true CVRs over every exposure. With the causes shared
    /// with clicks switched off (sharedCauseWeight 0, priceConversionEffect 0) ρ = 0 gives
    /// independent types and ρ = 1 types that differ only by their bias; with the defaults the
    /// click's affinity and the price keep some correlation at ρ = 0, and it rises with ρ.
    @Test func correlationKnobSetsHowMuchTheTypesMoveTogether() throws {
        func correlation(_ knobs: [String: String]) throws -> Double {
            let world = try Self.simulate(knobs.merging(["conversionTypes": "3"]) { $1 })
            let tables = ["train", "test"].compactMap { world.splits[$0] }
            let a = tables.flatMap { floats($0, "true_cvr_purchase") }.map(Double.init)
            let b = tables.flatMap { floats($0, "true_cvr_add_to_cart") }.map(Double.init)
            let (meanA, meanB) = (a.reduce(0, +) / Double(a.count), b.reduce(0, +) / Double(b.count))
            var (ab, aa, bb) = (0.0, 0.0, 0.0)
            for row in a.indices {
                ab += (a[row] - meanA) * (b[row] - meanB)
                aa += (a[row] - meanA) * (a[row] - meanA)
                bb += (b[row] - meanB) * (b[row] - meanB)
            }
            return ab / (aa * bb).squareRoot()
        }
        let apart = ["sharedCauseWeight": "0", "priceConversionEffect": "0"]
        let independent = try correlation(apart.merging(["conversionCorrelation": "0"]) { $1 })
        let half = try correlation(apart.merging(["conversionCorrelation": "0.5"]) { $1 })
        let same = try correlation(apart.merging(["conversionCorrelation": "1"]) { $1 })
        let defaults = try [0, 0.5, 1].map { try correlation(["conversionCorrelation": "\($0)"]) }
        print("funnel types, corr(true_cvr_purchase, true_cvr_add_to_cart): without the click's causes ρ 0 → \(independent), 0.5 → \(half), 1 → \(same); defaults ρ 0, 0.5, 1 → \(defaults)")
        #expect(abs(independent) < 0.1)
        #expect(half > 0.25 && half < 0.75)
        #expect(same > 0.97)
        #expect(defaults[0] < defaults[1] && defaults[1] < defaults[2] && defaults[2] > 0.97)
    }

    @Test func refusesKnobsOutsideTheirRange() {
        for knobs in [["conversionTypes": "0"], ["conversionTypes": "4"], ["conversionCorrelation": "-0.1"], ["conversionCorrelation": "1.5"]] {
            #expect(throws: KnobParser.KnobError.self, "\(knobs)") { try Self.simulate(knobs) }
        }
    }
}
