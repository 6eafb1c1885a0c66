import FunnelData
import FunnelNN
import FunnelTensor

/// How a debiased matrix factorisation weights its observed ratings.
public enum ObservationWeighting: String, Codable, Sendable, CaseIterable, StrictEnum {
    /// Every observed rating alike (naive MF).
    case none
    /// `1/P` with the dataset's propensity column (Coat ships the authors' estimates).
    case ips
    /// `1/P` with Naive-Bayes propensities from a missing-at-random sample
    /// (``NaiveBayesPropensity``; Schnabel et al., ICML 2016, arXiv 1602.05352, §5).
    case ipsNaiveBayes = "ips-naive-bayes"
}

/// The loss of a matrix factorisation, which also sets how it is evaluated.
public enum MatrixFactorisationLoss: String, Codable, Sendable, CaseIterable, StrictEnum {
    /// `(r̂ − r)²` on a rating; evaluated as a regression (MAE, MSE, RMSE).
    case squaredError = "squared-error"
    /// Binary cross-entropy of the logit `r̂` on a 0/1 label; evaluated as a binary task (AUC,
    /// per-user NDCG@K and Recall@K).
    case logistic
}

/// The observation propensities of a debiased MF and the missing-at-random sample they may
/// use, built once from the dataset before training.
///
/// Every propensity is handed to the estimators divided by `P̄ = P(O = 1) = |train| / (users ·
/// items)`: the weights `P̄/P` then average about 1, so the IPS loss is on the scale of the
/// naive mean loss and `l2` means the same for every weighting (Schnabel et al.'s
/// `Σ_O δ/P + λ‖θ‖²` up to the constant factor `P̄/|train|`).
///
/// The missing-at-random sample is a seeded `fraction` of the evaluation split's rows (the seed
/// is the model's, so every method of one experiment seed shares it); its rows are left out of
/// evaluation whatever the weighting (``excludedRows``), so that all methods are scored on the
/// same rows.
public struct ObservationPropensities: Sendable {
    public let weighting: ObservationWeighting
    /// `P(O = 1)` over the user × item matrix.
    public let observedRate: Double
    /// The propensity column (`ips`).
    public let column: String?
    /// The Naive-Bayes estimate (`ips-naive-bayes`) and the column whose level it reads.
    public let naiveBayes: NaiveBayesPropensity?
    public let naiveBayesColumn: String
    /// The missing-at-random sample's rows of `sampleSplit`, left out of evaluation.
    public let sampleRows: Set<Int>
    public let sampleSplit: String
    public let sampleFraction: Double

    /// - Parameters:
    ///   - trainSplit: the split trained on (its size is `|train|`).
    ///   - sampleSplit: the missing-at-random split the sample is drawn from.
    ///   - column: the propensity column (`nil`: the column whose role is `propensity`).
    public init(
        dataset: Dataset, weighting: ObservationWeighting, trainSplit: String, sampleSplit: String, sampleFraction: Double,
        column: String?, naiveBayesColumn: String, users: String, items: String, seed: UInt64
    ) throws {
        let schema = dataset.schema
        guard let userCount = dataset.vocabulary(for: users)?.size, let itemCount = dataset.vocabulary(for: items)?.size else {
            throw DataError.missingRequirement(dataset: schema.name, column: "\(users)/\(items)", reason: "the user and item vocabularies size the matrix")
        }
        let trainRows = try dataset.split(trainSplit).rowCount
        self.weighting = weighting
        observedRate = Double(trainRows) / Double(userCount * itemCount)
        self.naiveBayesColumn = naiveBayesColumn
        self.sampleSplit = sampleSplit
        self.sampleFraction = sampleFraction
        let sampleCount = sampleFraction > 0 ? Int((sampleFraction * Double(try dataset.split(sampleSplit).rowCount)).rounded()) : 0
        if sampleCount > 0 {
            var random = RandomGenerator(seed: seed &+ 0x4D41_5253_414D_504C)  // "MARSAMPL"
            var rows = Array(0..<(try dataset.split(sampleSplit).rowCount))
            for index in 0..<sampleCount {
                let other = index + Int(random.next() % UInt64(rows.count - index))
                rows.swapAt(index, other)
            }
            sampleRows = Set(rows.prefix(sampleCount))
        } else {
            sampleRows = []
        }
        switch weighting {
        case .none:
            self.column = nil
            naiveBayes = nil
        case .ips:
            guard let name = column ?? schema.columns.first(where: { $0.role == .propensity })?.name else {
                throw DataError.missingRequirement(dataset: schema.name, column: "propensity", reason: "weighting 'ips' needs a column whose role is propensity")
            }
            self.column = name
            naiveBayes = nil
            try Self.checkPropensities(dataset: dataset, split: trainSplit, column: name)
        case .ipsNaiveBayes:
            guard !sampleRows.isEmpty else {
                throw StrictJSON.Error(description: "field 'modelConfiguration.missingAtRandomFraction': \(sampleFraction) leaves no missing-at-random sample; weighting 'ips-naive-bayes' needs one (expected a fraction in (0, 1])")
            }
            self.column = nil
            let all = try dataset.rowValues(split: sampleSplit, column: naiveBayesColumn)
            naiveBayes = try NaiveBayesPropensity(
                observedRatings: try dataset.rowValues(split: trainSplit, column: naiveBayesColumn),
                missingAtRandomRatings: sampleRows.sorted().map { all[$0] }, cells: userCount * itemCount)
        }
    }

    /// The columns a batch must carry for the propensities.
    public var columns: Set<String> {
        switch weighting {
        case .none: []
        case .ips: column.map { [$0] } ?? []
        case .ipsNaiveBayes: [naiveBayesColumn]
        }
    }

    /// `P/P̄` of every row of an observed batch `[n]` (`nil` for weighting `none`).
    public func normalisedPropensities(_ batch: Batch) throws -> Tensor? {
        switch weighting {
        case .none:
            return nil
        case .ips:
            return try batch.tensor(column ?? "propensity") / Float(observedRate)
        case .ipsNaiveBayes:
            guard let naiveBayes else { return nil }
            let levels = try batch.tensor(naiveBayesColumn).scalars
            let values = try levels.map { level -> Float in
                guard let propensity = naiveBayes.propensity(of: level) else {
                    throw NaiveBayesPropensity.Refusal(description: "rating \(level) of a training row has no Naive-Bayes propensity")
                }
                return Float(propensity / observedRate)
            }
            return Tensor(shape: [values.count], scalars: values)
        }
    }

    /// The evaluation rows the sample leaves out (`nil` without a sample).
    public var excludedRows: EvaluationTask.ExcludedRows? {
        sampleRows.isEmpty ? nil : EvaluationTask.ExcludedRows(
            split: sampleSplit, rows: sampleRows,
            reason: "the seeded \(sampleFraction) missing-at-random sample (Naive-Bayes P(Y = y)), left out for every method")
    }

    /// Refuses a propensity that is NaN, ≤ 0 or > 1, with the split's file, its line (the
    /// header is line 1) and the value.
    public static func checkPropensities(dataset: Dataset, split: String, column: String) throws {
        let values = try dataset.rowValues(split: split, column: column)
        guard let row = values.firstIndex(where: { !($0 > 0 && $0 <= 1) }) else { return }
        let file = dataset.schema.tables[split].map { dataset.directory + "/" + $0.file } ?? "\(dataset.directory) split '\(split)'"
        throw DataError.badValue(
            FileLocation(file: file, line: row + 2, columnName: column), found: "\(values[row]) (row \(row) of split '\(split)')",
            expected: "a propensity in (0, 1]")
    }
}
