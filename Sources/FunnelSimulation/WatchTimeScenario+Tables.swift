import FunnelData

/// Turns the watch-time logs into the canonical dataset: schema, splits by date, side tables.
struct WatchTimeTables {
    let knobs: WatchTimeScenario.Knobs
    let users: Int
    let days: Int
    let world: WatchTimeWorld

    private var viewColumns: [ColumnSchema] {
        [
            ColumnSchema(name: "user", kind: .categorical, role: .user, vocabulary: .identity(size: users)),
            ColumnSchema(name: "video", kind: .categorical, role: .item, vocabulary: .identity(size: knobs.videos)),
            ColumnSchema(name: "day", kind: .timestamp, role: .day),
            ColumnSchema(name: "watch_time", kind: .label),
            ColumnSchema(name: "duration", kind: .label),
            ColumnSchema(name: "long_view", kind: .label),
            ColumnSchema(name: "interest", kind: .dense, role: .truth),
            ColumnSchema(name: "counterfactual_watch_time", kind: .dense, role: .truth),
            ColumnSchema(name: "noisy_view", kind: .dense, role: .truth),
        ]
    }

    private var sideSchemas: [SideTableSchema] {
        [
            SideTableSchema.keyed(
                by: "user",
                features: [
                    ColumnSchema(name: "user_segment", kind: .categorical, vocabulary: .identity(size: knobs.userSegments)),
                    ColumnSchema(
                        name: "user_activity", kind: .categorical, vocabulary: .identity(size: WatchTimeWorld.activityLevels)),
                ]),
            SideTableSchema.keyed(
                by: "video",
                features: [
                    ColumnSchema(name: "video_tag", kind: .categorical, vocabulary: .identity(size: knobs.videoTags)),
                ]),
        ]
    }

    func assemble(_ logs: [WatchTimeLog]) -> SimulatedWorld {
        var log = WatchTimeLog()
        for chunk in logs { log.append(chunk) }
        let firstEvaluationDay = Int64(days - knobs.evaluationDays)
        var splits: [String: Table] = [:]
        for (name, keep) in [("train", { (day: Int64) in day < firstEvaluationDay }), ("test", { $0 >= firstEvaluationDay })] {
            let rows = log.day.indices.filter { keep(log.day[$0]) }
            var table = TableAssembler(name: name, columns: viewColumns)
            table.values = [
                "user": .ids(rows.map { log.user[$0] }), "video": .ids(rows.map { log.video[$0] }),
                "day": .integers(rows.map { log.day[$0] }),
                "watch_time": .floats(rows.map { log.watchTime[$0] }), "duration": .floats(rows.map { log.duration[$0] }),
                "long_view": .floats(rows.map { log.longView[$0] }),
                "interest": .floats(rows.map { log.interest[$0] }),
                "counterfactual_watch_time": .floats(rows.map { log.counterfactual[$0] }),
                "noisy_view": .floats(rows.map { log.noisy[$0] }),
            ]
            splits[name] = table.table(rowCount: rows.count)
        }
        let sides = sideSchemas
        var user = TableAssembler(name: "user", columns: sides[0].columns)
        user.values = ["user": .ids(log.profileUser), "user_segment": .ids(log.segment), "user_activity": .ids(log.activityLevel)]
        var video = TableAssembler(name: "video", columns: sides[1].columns)
        video.values = ["video": .ids((0..<Int32(knobs.videos)).map { $0 }), "video_tag": .ids(world.videoTag)]
        let schema = DatasetSchema.simulated(
            name: "watchtime",
            columns: viewColumns, sideTables: sides,
            notes: """
                Simulated by Funnel's watchtime scenario (CWM's and D2Co's world): \(users) users, \(days) days, the last \
                \(knobs.evaluationDays) for evaluation. watch_time and duration are in seconds (durations whole seconds, \
                as CWM's and D2Co's preprocessing; the KuaiRand converter keeps milliseconds); duration is a label so that \
                it is never a model input by accident. watch_time = min(counterfactual_watch_time, duration) except on \
                noisy views (noisy_view = 1: an early exit within \(knobs.earlyExitSeconds) s or a forced full play). \
                long_view: D2Co's ground-truth rule with θ = \(knobs.longViewThreshold) s. Truth: interest in (0, 1), \
                counterfactual_watch_time (CWM's cost model, c⁻¹ = \(knobs.costInverse)), noisy_view. Duration bias \
                \(knobs.durationBias ? "on" : "off"), noisy watching \(knobs.noisyWatching ? "on" : "off").
                """)
        return SimulatedWorld(
            schema: schema, splits: splits,
            sideTables: [
                "user": user.table(rowCount: log.profileUser.count, keyColumns: ["user"]),
                "video": video.table(rowCount: knobs.videos, keyColumns: ["video"]),
            ])
    }
}
