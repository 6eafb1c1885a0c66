extension LeaveOneOutSequences {
    /// What a leave-one-out split made of a log: printed by `funnel data sequences` and kept in
    /// the schema's notes. Nothing is dropped silently: every user is in ``users``, and those
    /// without a train row are counted.
    public struct Report: Codable, Sendable, Equatable {
        /// Distinct users.
        public var users: Int
        /// Interactions read (all of them are kept).
        public var interactions: Int
        /// Distinct items: N, ids 1 … N.
        public var items: Int
        /// Users with at least `minimumInteractions` interactions: one validation and one test
        /// row each.
        public var usersEvaluated: Int
        /// Users with fewer: all their interactions are training, and they are not evaluated.
        public var usersBelowThreshold: Int
        /// Users whose training sequence holds fewer than 2 interactions, so that it gives no
        /// (input, target) pair: no train row (an evaluated one still has its validation and
        /// test rows).
        public var usersWithoutTrainRow: Int
        /// Interactions with the same time as the user's previous one (kept in input order).
        public var tiesInTime: Int
        /// The threshold used.
        public var minimumInteractions: Int

        /// One line per count, for a terminal and for the schema's notes.
        public var text: String {
            [
                "users \(users), interactions \(interactions), items \(items) (ids 1...\(items); 0 is never an item)",
                "users evaluated \(usersEvaluated) (at least \(minimumInteractions) interactions), "
                    + "below the threshold \(usersBelowThreshold) (train only)",
                "users without a train row \(usersWithoutTrainRow) (a training sequence shorter than 2)",
                "ties in time \(tiesInTime) (kept in input order)",
            ].joined(separator: "\n")
        }
    }
}
