import FunnelData

/// Turns the homepage logs into the canonical dataset: schema, splits by date, side tables.
struct HomepageTables {
    let knobs: HomepageScenario.Knobs
    let users: Int
    let days: Int
    let world: HomepageWorld

    private var exposureColumns: [ColumnSchema] {
        [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .identity(size: users)),
            ColumnSchema(name: "item", kind: .categorical, role: .item, vocabulary: .identity(size: knobs.items)),
            ColumnSchema(name: "day", kind: .timestamp, role: .day),
            ColumnSchema(name: "position", kind: .categorical, vocabulary: .identity(size: knobs.blockItems)),
            ColumnSchema(name: "click", kind: .label),
            ColumnSchema(name: "interest_probability", kind: .dense, role: .truth, truthOf: "click"),
            ColumnSchema(name: "attention_propensity", kind: .dense, role: .truth),
            ColumnSchema(name: "portal_click_propensity", kind: .dense, role: .truth),
        ] + (knobs.personalisedPolicy ? [ColumnSchema(name: "exposure_propensity", kind: .dense, role: .truth)] : [])
            + (knobs.oracleLabels ? [ColumnSchema(name: "interest_click", kind: .label)] : [])
            + driftColumns
    }

    /// The drift truth columns, written only with drift on (default schemas are unchanged).
    private var driftColumns: [ColumnSchema] {
        guard knobs.drift.isOn else { return [] }
        return [
            ColumnSchema(name: "after_shift", kind: .dense, role: .truth),
            ColumnSchema(name: "shifted", kind: .dense, role: .truth),
        ]
    }

    private var sideSchemas: [SideTableSchema] {
        [
            SideTableSchema.keyed(
                by: "user",
                features: [
                    ColumnSchema(name: "user_segment", kind: .categorical, vocabulary: .identity(size: knobs.userSegments)),
                    ColumnSchema(name: "user_age", kind: .categorical, vocabulary: .identity(size: 8)),
                ] + (1..<knobs.profileDimensions).map { dimension in
                    ColumnSchema(name: "user_segment_\(dimension)", kind: .categorical, vocabulary: .identity(size: knobs.userSegments))
                }),
            SideTableSchema.keyed(
                by: "item",
                features: [
                    ColumnSchema(name: "item_category", kind: .categorical, vocabulary: .identity(size: knobs.itemCategories)),
                    ColumnSchema(name: "item_price_level", kind: .categorical, vocabulary: .identity(size: 5)),
                ] + (knobs.displayedPortalChoice
                    ? [ColumnSchema(name: "item_subsidy", kind: .categorical, vocabulary: .identity(size: 2))] : [])),
            SideTableSchema(
                name: "user-day", table: TableFile(file: "user_day.csv"), key: ["user", "day"],
                columns: [
                    ColumnSchema(name: "user", kind: .categorical, vocabularyOf: "user"),
                    ColumnSchema(name: "day", kind: .timestamp),
                    ColumnSchema(name: "portal_visit", kind: .label),
                    ColumnSchema(name: "block_click", kind: .label),
                    ColumnSchema(name: "recent_portal", kind: .label),
                    ColumnSchema(name: "intent_sequence", kind: .idList, vocabulary: .identity(size: 4), separator: ","),
                    ColumnSchema(name: "clicked_items", kind: .idList, separator: ",", vocabularyOf: "item"),
                    ColumnSchema(name: "portal_intent_probability", kind: .dense, role: .truth),
                ]),
        ]
    }

    func assemble(_ logs: [HomepageLog]) -> SimulatedWorld {
        var splits: [String: Table] = [:]
        for (name, exposures) in [("train", logs.map(\.training)), ("test", logs.map(\.evaluation))] {
            var table = TableAssembler(name: name, columns: exposureColumns)
            table.values = [
                "user": .ids(exposures.map(\.user)), "item": .ids(exposures.map(\.item)),
                "day": .integers(exposures.map(\.day)), "position": .ids(exposures.map(\.position)),
                "click": .floats(exposures.map(\.click)), "interest_probability": .floats(exposures.map(\.interest)),
                "attention_propensity": .floats(exposures.map(\.attention)),
                "portal_click_propensity": .floats(exposures.map(\.portalClick)),
            ]
            if knobs.personalisedPolicy { table.values["exposure_propensity"] = .floats(exposures.map(\.propensity)) }
            if knobs.oracleLabels { table.values["interest_click"] = .floats(exposures.map(\.oracleClick)) }
            if knobs.drift.isOn {
                table.values["after_shift"] = .floats(exposures.map(\.afterShift))
                table.values["shifted"] = .floats(exposures.map(\.shifted))
            }
            splits[name] = table.table(rowCount: exposures.reduce(0) { $0 + $1.user.count })
        }
        let sides = sideSchemas
        var user = TableAssembler(name: "user", columns: sides[0].columns)
        user.values = ["user": .ids(logs.map(\.profileUser)), "user_segment": .ids(logs.map(\.segment)), "user_age": .ids(logs.map(\.age))]
        let extra = knobs.profileDimensions - 1
        for dimension in 0..<extra {
            user.values["user_segment_\(dimension + 1)"] = .ids(logs.map { log in
                stride(from: dimension, to: log.extraSegments.count, by: extra).map { log.extraSegments[$0] }
            })
        }
        var item = TableAssembler(name: "item", columns: sides[1].columns)
        item.values = [
            "item": .ids((0..<Int32(knobs.items)).map { $0 }), "item_category": .ids(world.itemCategory),
            "item_price_level": .ids(world.itemPriceLevel),
        ]
        if knobs.displayedPortalChoice { item.values["item_subsidy"] = .ids(world.itemSubsidy) }
        var userDay = TableAssembler(name: "user-day", columns: sides[2].columns)
        userDay.values = [
            "user": .ids(logs.map(\.dayUser)), "day": .integers(logs.map(\.dayDay)),
            "portal_visit": .floats(logs.map(\.portalVisit)), "block_click": .floats(logs.map(\.blockClick)),
            "recent_portal": .floats(logs.map(\.recentPortal)),
            "intent_sequence": .lists(ids: logs.map(\.sequence), offsets: logs.map(\.sequenceOffsets)),
            "clicked_items": .lists(ids: logs.map(\.clicked), offsets: logs.map(\.clickedOffsets)),
            "portal_intent_probability": .floats(logs.map(\.intentProbability)),
        ]
        let users = logs.reduce(0) { $0 + $1.profileUser.count }
        let userDays = logs.reduce(0) { $0 + $1.dayUser.count }
        let schema = DatasetSchema.simulated(
            name: "homepage",
            columns: exposureColumns, sideTables: sides,
            notes: "Simulated by Funnel's homepage scenario (USD's world): \(users) users, \(days) days, the last \(knobs.evaluationDays) for evaluation. Truth columns: interest_probability (click probability had the user looked), attention_propensity, portal_click_propensity\(knobs.personalisedPolicy ? ", exposure_propensity (the personalised policy's probability per draw)" : ""); user-day truth portal_intent_probability." + (knobs.drift.isOn ? knobs.drift.notes : ""))
        return SimulatedWorld(
            schema: schema, splits: splits,
            sideTables: [
                "user": user.table(rowCount: users, keyColumns: ["user"]),
                "item": item.table(rowCount: knobs.items, keyColumns: ["item"]),
                "user-day": userDay.table(rowCount: userDays, keyColumns: ["user", "day"]),
            ])
    }
}
