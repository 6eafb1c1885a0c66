import FunnelData

/// Turns the funnel logs into the canonical dataset: schema, splits by date, side tables.
struct FunnelTables {
    let knobs: FunnelScenario.Knobs
    let users: Int
    let days: Int
    let world: FunnelWorld

    /// The conversion types, or none with the single `conversion`.
    private var typeNames: [String] {
        knobs.conversionTypes > 1 ? Array(FunnelWorld.conversionTypeNames.prefix(knobs.conversionTypes)) : []
    }

    /// The drift truth columns, written only with drift on (default schemas are unchanged).
    private var driftColumns: [ColumnSchema] {
        guard knobs.drift.isOn else { return [] }
        return [
            ColumnSchema(name: "after_shift", kind: .dense, role: .truth),
            ColumnSchema(name: "shifted", kind: .dense, role: .truth),
        ]
    }

    private var exposureColumns: [ColumnSchema] {
        outcomeColumns + driftColumns
    }

    private var outcomeColumns: [ColumnSchema] {
        let keys = [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .identity(size: users)),
            ColumnSchema(name: "item", kind: .categorical, role: .item, vocabulary: .identity(size: knobs.items)),
            ColumnSchema(name: "day", kind: .timestamp, role: .day),
            ColumnSchema(name: "click", kind: .label),
        ]
        guard !typeNames.isEmpty else {
            return keys + [
                ColumnSchema(name: "conversion", kind: .label),
                ColumnSchema(name: "true_ctr", kind: .dense, role: .truth, truthOf: "click"),
                ColumnSchema(name: "true_cvr", kind: .dense, role: .truth, truthOf: "conversion", truthGiven: "click"),
                ColumnSchema(name: "true_ctcvr", kind: .dense, role: .truth, truthOf: "conversion"),
            ]
        }
        return keys + typeNames.map { ColumnSchema(name: $0, kind: .label) }
            + [ColumnSchema(name: "true_ctr", kind: .dense, role: .truth, truthOf: "click")]
            + typeNames.flatMap { type in
                [
                    ColumnSchema(name: "true_cvr_\(type)", kind: .dense, role: .truth, truthOf: type, truthGiven: "click"),
                    ColumnSchema(name: "true_ctcvr_\(type)", kind: .dense, role: .truth, truthOf: type),
                ]
            }
    }

    private var sideSchemas: [SideTableSchema] {
        [
            SideTableSchema.keyed(
                by: "user",
                features: [
                    ColumnSchema(name: "user_segment", kind: .categorical, vocabulary: .identity(size: knobs.userSegments)),
                    ColumnSchema(name: "user_age", kind: .categorical, vocabulary: .identity(size: 8)),
                    ColumnSchema(name: "user_gender", kind: .categorical, vocabulary: .identity(size: 2)),
                ]),
            SideTableSchema.keyed(
                by: "item",
                features: [
                    ColumnSchema(name: "item_category", kind: .categorical, vocabulary: .identity(size: knobs.itemCategories)),
                    ColumnSchema(
                        name: "item_price_level", kind: .categorical, vocabulary: .identity(size: FunnelWorld.priceLevels)),
                ]),
        ]
    }

    func assemble(_ logs: [FunnelLog]) -> SimulatedWorld {
        var log = FunnelLog()
        for chunk in logs { log.append(chunk) }
        let firstEvaluationDay = Int64(days - knobs.evaluationDays)
        var splits: [String: Table] = [:]
        for (name, keep) in [("train", { (day: Int64) in day < firstEvaluationDay }), ("test", { $0 >= firstEvaluationDay })] {
            let rows = log.day.indices.filter { keep(log.day[$0]) }
            var table = TableAssembler(name: name, columns: exposureColumns)
            table.values = [
                "user": .ids(rows.map { log.user[$0] }), "item": .ids(rows.map { log.item[$0] }),
                "day": .integers(rows.map { log.day[$0] }),
                "click": .floats(rows.map { log.click[$0] }), "true_ctr": .floats(rows.map { log.trueCTR[$0] }),
            ]
            if typeNames.isEmpty {
                table.values["conversion"] = .floats(rows.map { log.conversion[$0] })
                table.values["true_cvr"] = .floats(rows.map { log.trueCVR[$0] })
                table.values["true_ctcvr"] = .floats(rows.map { log.trueCTCVR[$0] })
            }
            if knobs.drift.isOn {
                table.values["after_shift"] = .floats(rows.map { log.afterShift[$0] })
                table.values["shifted"] = .floats(rows.map { log.shifted[$0] })
            }
            for (type, typeName) in typeNames.enumerated() {
                table.values[typeName] = .floats(rows.map { log.typeConversion[type][$0] })
                table.values["true_cvr_\(typeName)"] = .floats(rows.map { log.typeCVR[type][$0] })
                table.values["true_ctcvr_\(typeName)"] = .floats(rows.map { log.typeCTCVR[type][$0] })
            }
            splits[name] = table.table(rowCount: rows.count)
        }
        let sides = sideSchemas
        var user = TableAssembler(name: "user", columns: sides[0].columns)
        user.values = [
            "user": .ids(log.profileUser), "user_segment": .ids(log.segment), "user_age": .ids(log.age),
            "user_gender": .ids(log.gender),
        ]
        var item = TableAssembler(name: "item", columns: sides[1].columns)
        item.values = [
            "item": .ids((0..<Int32(knobs.items)).map { $0 }), "item_category": .ids(world.itemCategory),
            "item_price_level": .ids(world.itemPriceLevel),
        ]
        let schema = DatasetSchema.simulated(
            name: "funnel",
            columns: exposureColumns, sideTables: sides,
            notes: (typeNames.isEmpty ? singleTypeNotes : multiTypeNotes) + (knobs.drift.isOn ? knobs.drift.notes : ""))
        return SimulatedWorld(
            schema: schema, splits: splits,
            sideTables: [
                "user": user.table(rowCount: log.profileUser.count, keyColumns: ["user"]),
                "item": item.table(rowCount: knobs.items, keyColumns: ["item"]),
            ])
    }

    private var singleTypeNotes: String {
        """
                Simulated by Funnel's funnel scenario (ESMM's click → conversion world): \(users) users, \(days) days, \
                the last \(knobs.evaluationDays) for evaluation. conversion = click ∧ purchase (0 on non-clicked rows, \
                as Ali-CCP). Truth columns on every exposure, clicked or not: true_ctr, true_cvr (purchase probability \
                had the user clicked), true_ctcvr = true_ctr·true_cvr. A hidden user–item affinity drives clicks and, \
                with weight sharedCauseWeight = \(knobs.sharedCauseWeight), purchases (sample selection bias).
                """
    }

    private var multiTypeNotes: String {
        let types = typeNames.joined(separator: ", ")
        let biases = zip(typeNames, world.conversionTypeBiases).map { "\($0) \($1)" }.joined(separator: ", ")
        return """
            Simulated by Funnel's funnel scenario with \(typeNames.count) parallel conversion types after a click \
            (EKTM's parallel pattern): \(users) users, \(days) days, the last \(knobs.evaluationDays) for evaluation. \
            Labels click and \(types); each type is click ∧ that conversion (0 on non-clicked rows); the types are \
            drawn independently given their probabilities. Truth columns on every exposure, clicked or not: true_ctr, \
            true_cvr_<type> (the type's probability had the user clicked) and true_ctcvr_<type> = \
            true_ctr·true_cvr_<type>. How the types share causes: every type's logit has the hidden user–item \
            affinity that drives clicks, with weight sharedCauseWeight = \(knobs.sharedCauseWeight) (sample selection \
            bias), and the price (priceConversionEffect = \(knobs.priceConversionEffect)); on top, \
            √ρ·(user buying + item conversion appeal), shared by all types, plus √(1−ρ)·(the type's own user buying \
            + own item conversion appeal), drawn independently per type with the same spreads, with ρ = \
            conversionCorrelation = \(knobs.conversionCorrelation). Each type's own bias (\(biases)) sets its base \
            rate; its marginal does not depend on ρ. ρ = 1: the types differ only by their bias; ρ = 0: they share \
            only the affinity and the price.
            """
    }
}
