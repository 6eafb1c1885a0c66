import Foundation

/// ReLoop2's error estimation and compensation (Zhu et al., KDD 2023, arXiv 2306.08808;
/// adaptation.md §2.2, equations reconstructed from the paper's prose).
///
/// For a query with base prediction `y_base` and read-outs `(s_i, y_i, y_base_i)` of an
/// ``ErrorMemory``:
/// 1. `a_i = softmax(s_i / τ)` (the maximum subtracted first, so a small τ cannot overflow);
/// 2. `ȳ = Σ a_i y_i`, `ȳ_base = Σ a_i y_base_i`;
/// 3. `y_err = γ (ȳ − y_base) + (1 − γ)(ȳ − ȳ_base)` — γ = 1: the neighbours' labels against
///    the current prediction (the paper's choice in every experiment); γ = 0: the neighbours'
///    own residuals;
/// 4. `y_pred = clamp(y_base + λ · y_err, 0, 1)` (§2.7: metrics are computed on the clamped
///    value). With γ = 1 this is the blend `(1 − λ) y_base + λ ȳ`.
///
/// No read-outs (an empty memory, or a sketch whose buckets are all empty) leave `y_base`.
public struct ErrorCompensation: Codable, Sendable, Equatable {
    /// `γ` in [0, 1]: the weight of the label-versus-prediction error (§2.5: 1).
    public var gamma: Float = 1
    /// `τ` > 0, the softmax temperature over cosine similarities (§2.5: 0.1, fixed here).
    public var temperature: Float = 0.1
    /// `λ` in [0, 1], the share of the estimated error added back. [ASSUMED] 0.5 when not
    /// tuned (§2.5; the paper tuned 0.9 on AmazonElectronics, 0.4 on MicroVideo).
    public var strength: Float = 0.5

    public init(gamma: Float = 1, temperature: Float = 0.1, strength: Float = 0.5) {
        self.gamma = gamma
        self.temperature = temperature
        self.strength = strength
    }

    /// Fields left out keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        gamma = try container.decodeIfPresent(Float.self, forKey: .gamma) ?? gamma
        temperature = try container.decodeIfPresent(Float.self, forKey: .temperature) ?? temperature
        strength = try container.decodeIfPresent(Float.self, forKey: .strength) ?? strength
    }

    /// Refuses values outside the ranges above, naming the field under `check`'s root.
    public func validate(_ check: ModelConfigurationCheck = ModelConfigurationCheck().nested("compensation")) throws {
        guard gamma >= 0, gamma <= 1 else { throw check.refusal("gamma", "\(gamma); expected a weight in [0, 1]") }
        try check.positive(temperature, "temperature")
        guard strength >= 0, strength <= 1 else { throw check.refusal("strength", "\(strength); expected a strength in [0, 1]") }
    }

    /// The attention-weighted neighbourhood estimates `(ȳ, ȳ_base)` of each query of a chunk,
    /// `nil` for a query without read-outs. Sweeps slot by slot over all queries: the softmax's
    /// maximum first, then the weights' sums in slot order (an empty place adds exactly 0).
    public func neighbourhoods(_ readOuts: ErrorMemoryReadOuts) -> [(label: Float, basePrediction: Float)?] {
        let (rows, slots) = (readOuts.rows, readOuts.slots)
        var largest = [Float](repeating: -.infinity, count: rows)
        var total = [Float](repeating: 0, count: rows)
        var label = [Float](repeating: 0, count: rows)
        var basePrediction = [Float](repeating: 0, count: rows)
        readOuts.similarities.withUnsafeBufferPointer { similarities in
            for slot in 0..<slots {
                for row in 0..<rows { largest[row] = Swift.max(largest[row], similarities[slot * rows + row]) }
            }
            for slot in 0..<slots {
                for row in 0..<rows where largest[row] > -.infinity {
                    let index = slot * rows + row
                    let weight = Foundation.exp((similarities[index] - largest[row]) / temperature)
                    total[row] += weight
                    label[row] += weight * readOuts.labels[index]
                    basePrediction[row] += weight * readOuts.basePredictions[index]
                }
            }
        }
        // The largest term is exp(0) = 1, so a total is at least 1.
        return (0..<rows).map { largest[$0] > -.infinity ? (label[$0] / total[$0], basePrediction[$0] / total[$0]) : nil }
    }

    /// ``neighbourhoods(_:)`` of one query's read-outs.
    public func neighbourhood(_ readOuts: [ErrorMemoryReadOut]) -> (label: Float, basePrediction: Float)? {
        neighbourhoods(ErrorMemoryReadOuts([readOuts]))[0]
    }

    /// The estimated error `y_err` of a base prediction given its neighbourhood (0 without one).
    func error(basePrediction: Float, neighbourhood: (label: Float, basePrediction: Float)?) -> Float {
        guard let (label, neighbourBase) = neighbourhood else { return 0 }
        return gamma * (label - basePrediction) + (1 - gamma) * (label - neighbourBase)
    }

    /// `y_pred = clamp(y_base + λ · y_err, 0, 1)`; `y_base` unchanged without a neighbourhood.
    func compensate(basePrediction: Float, neighbourhood: (label: Float, basePrediction: Float)?) -> Float {
        guard neighbourhood != nil else { return basePrediction }
        let compensated = basePrediction + strength * error(basePrediction: basePrediction, neighbourhood: neighbourhood)
        return Swift.min(1, Swift.max(0, compensated))
    }

    /// The estimated error `y_err` of a base prediction (0 without read-outs).
    public func error(basePrediction: Float, readOuts: [ErrorMemoryReadOut]) -> Float {
        error(basePrediction: basePrediction, neighbourhood: neighbourhood(readOuts))
    }

    /// `y_pred = clamp(y_base + λ · y_err, 0, 1)`; `y_base` unchanged without read-outs.
    public func compensate(basePrediction: Float, readOuts: [ErrorMemoryReadOut]) -> Float {
        compensate(basePrediction: basePrediction, neighbourhood: neighbourhood(readOuts))
    }

    /// The compensated predictions of a chunk: base predictions `[rows]`, the memory's read-outs.
    public func compensate(basePredictions: [Float], readOuts: ErrorMemoryReadOuts) -> [Float] {
        precondition(basePredictions.count == readOuts.rows, "Funnel: \(basePredictions.count) base predictions but \(readOuts.rows) queries read")
        return zip(basePredictions, neighbourhoods(readOuts)).map { compensate(basePrediction: $0, neighbourhood: $1) }
    }

    /// ``compensate(basePredictions:readOuts:)`` with one read-out list per row.
    public func compensate(basePredictions: [Float], readOuts: [[ErrorMemoryReadOut]]) -> [Float] {
        compensate(basePredictions: basePredictions, readOuts: ErrorMemoryReadOuts(readOuts))
    }
}
