import FunnelNN
import FunnelTensor

/// TIGER's RQ-VAE (Rajput et al. 2023, arXiv 2305.05065; sequential.md §4.1 alternative):
/// encoder MLP `d → hidden… → e` (ReLU), L residual codebooks `[K, e]`, decoder mirroring the
/// encoder `e → …hidden → d`.
///
/// Forward on `x` `[B, d]`: `z = E(x)`, `r_0 = z`, `c_l = argmin_k ‖r_{l−1} − e_{l,k}‖`,
/// `r_l = r_{l−1} − e_{l,c_l}`, `ẑ = Σ_l e_{l,c_l}`; the decoder reads `z + sg[ẑ − z]` (the
/// straight-through estimator) and the loss is
/// `‖x − x̂‖² + Σ_l (‖sg[r_{l−1}] − e_{l,c_l}‖² + β ‖r_{l−1} − sg[e_{l,c_l}]‖²)`, each term a
/// mean over values. Codebooks are k-means-initialised on the first training batch
/// (``initialiseCodebooks(_:generator:)``).
public final class ResidualQuantisedAutoencoder: Module {
    public let encoder: MLP
    public let decoder: MLP
    /// L codebooks, `[K, e]` each.
    public let codebooks: [Tensor]
    /// β, the commitment weight (0.25).
    public let commitment: Float

    /// The spec's widths (768 → 512 → 256 → 128 → 32) scaled to an input of width d: latent
    /// `min(32, max(4, d / 4))`, hidden `[512, 256, 128] · d / 768`, none narrower than the latent.
    public static func defaultWidths(inputDimensions d: Int) -> (hidden: [Int], latent: Int) {
        let latent = min(32, max(4, d / 4))
        let hidden = [512, 256, 128].map { max(latent, Int((Double($0) * Double(d) / 768).rounded())) }
        return (hidden, latent)
    }

    public init(
        inputDimensions: Int, hidden: [Int], latent: Int, levels: Int, codebookSize: Int, commitment: Float = 0.25,
        generator: inout RandomGenerator
    ) {
        encoder = MLP(inputDimensions: inputDimensions, hiddenDimensions: hidden, outputDimensions: latent, generator: &generator)
        decoder = MLP(
            inputDimensions: latent, hiddenDimensions: hidden.reversed(), outputDimensions: inputDimensions, generator: &generator)
        codebooks = (0..<levels).map { _ in Tensor.zeros([codebookSize, latent], requiresGradient: true) }
        self.commitment = commitment
        super.init()
    }

    /// Sets every codebook from k-means on `batch` (`[B, d]`): level l on the residuals of the
    /// levels before. A batch with fewer distinct latents than K repeats the centroids found.
    public func initialiseCodebooks(_ batch: Tensor, generator: inout RandomGenerator) {
        withoutGradients {
            var residual = encoder(batch).scalars
            let rows = batch.shape[0]
            for codebook in codebooks {
                let (size, width) = (codebook.shape[0], codebook.shape[1])
                let fitted = KMeans.fit(
                    points: residual, rows: rows, dimensions: width, clusters: size, iterations: 25, tolerance: 1e-4,
                    generator: &generator)
                codebook.withUnsafeMutableBufferPointer { values in
                    for index in 0..<(size * width) {
                        values[index] = fitted.centroids[(index / width) % fitted.count * width + index % width]
                    }
                }
                let codes = fitted.nearest(points: residual, rows: rows).assignments
                subtract(fitted.reconstruction(of: codes), from: &residual)
            }
        }
    }

    /// Each level's codes of the latents `z` (`[B, e]`) and the residual quantisation.
    /// Returns the codes (`[B][L]`), `ẑ` and the codebook + commitment loss.
    func quantise(_ z: Tensor) -> (codes: [[Int32]], quantised: Tensor, loss: Tensor) {
        let rows = z.shape[0]
        var residual = z
        var quantised: Tensor?
        var loss = Tensor(0)
        var codes = [[Int32]](repeating: [], count: rows)
        for codebook in codebooks {
            let table = KMeans(count: codebook.shape[0], dimensions: codebook.shape[1], centroids: codebook.scalars)
            let assignments = table.nearest(points: residual.scalars, rows: rows).assignments
            for row in 0..<rows { codes[row].append(assignments[row]) }
            let selected = codebook.indexSelect(assignments)
            loss = loss + (residual.detached() - selected).pow(2).mean() + commitment * (residual - selected.detached()).pow(2).mean()
            residual = residual - selected.detached()
            quantised = quantised.map { $0 + selected } ?? selected
        }
        return (codes, quantised ?? Tensor.zeros(z.shape), loss)
    }

    /// The training loss of a batch `x` (`[B, d]`): total, and the reconstruction term alone.
    public func loss(_ x: Tensor) -> (total: Tensor, reconstruction: Tensor) {
        let z = encoder(x)
        let (_, quantised, codebookLoss) = quantise(z)
        let decoded = decoder(z + (quantised - z).detached())
        let reconstruction = (x - decoded).pow(2).mean()
        return (reconstruction + codebookLoss, reconstruction)
    }

    /// Codes `[rows][L]` of `points` (`[rows, d]`), the latent residual's mean squared error after
    /// each level (`[L]`) and the decoded reconstruction's mean squared error.
    public func encode(_ points: [Float], rows: Int, dimensions: Int) -> (codes: [[Int32]], levelErrors: [Float], reconstruction: Float) {
        withoutGradients {
            let x = Tensor(shape: [rows, dimensions], scalars: points)
            let z = encoder(x)
            var residual = z.scalars
            var errors: [Float] = []
            let (codes, quantised, _) = quantise(z)
            for (level, codebook) in codebooks.enumerated() {
                let table = KMeans(count: codebook.shape[0], dimensions: codebook.shape[1], centroids: codebook.scalars)
                subtract(table.reconstruction(of: codes.map { $0[level] }), from: &residual)
                errors.append(meanSquare(residual))
            }
            let decoded = decoder(quantised)
            return (codes, errors, (x - decoded).pow(2).mean().scalar)
        }
    }

    /// Trains on `points` (`[rows, d]`) with Adam for `epochs` passes in shuffled batches; the
    /// codebooks are initialised on the first batch. Returns each epoch's mean loss and mean
    /// reconstruction term (the codebook terms can rise early on while the latents spread out
    /// from their small initial scale).
    public func fit(
        points: [Float], rows: Int, dimensions: Int, epochs: Int, batchSize: Int, learningRate: Float,
        generator: inout RandomGenerator
    ) -> (losses: [Float], reconstructions: [Float]) {
        let optimizer = Adam(namedParameters: namedParameters(), learningRate: learningRate)
        var order = Array(0..<rows)
        var losses: [Float] = []
        var reconstructions: [Float] = []
        var initialised = false
        for _ in 0..<epochs {
            for index in stride(from: rows - 1, to: 0, by: -1) {
                order.swapAt(index, Int(generator.next() % UInt64(index + 1)))
            }
            var total = 0.0
            var reconstructionTotal = 0.0
            var batches = 0
            for start in stride(from: 0, to: rows, by: batchSize) {
                let batchRows = order[start..<min(start + batchSize, rows)]
                var values: [Float] = []
                values.reserveCapacity(batchRows.count * dimensions)
                for row in batchRows { values += points[(row * dimensions)..<((row + 1) * dimensions)] }
                let x = Tensor(shape: [batchRows.count, dimensions], scalars: values)
                if !initialised {
                    initialiseCodebooks(x, generator: &generator)
                    initialised = true
                }
                zeroGradients()
                let (loss, reconstruction) = self.loss(x)
                loss.backward()
                optimizer.step()
                total += Double(loss.scalar)
                reconstructionTotal += Double(reconstruction.scalar)
                batches += 1
            }
            losses.append(Float(total / Double(max(batches, 1))))
            reconstructions.append(Float(reconstructionTotal / Double(max(batches, 1))))
        }
        return (losses, reconstructions)
    }
}
