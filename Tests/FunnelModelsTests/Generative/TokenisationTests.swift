import Foundation
import Testing

import FunnelData
@testable import FunnelModels
import FunnelNN
import FunnelTensor

/// Points around `clusters` random centres in `dimensions` dimensions, `[count, dimensions]`.
func clusteredPoints(count: Int, dimensions: Int, clusters: Int, spread: Float = 0.3, seed: UInt64) -> [Float] {
    var generator = RandomGenerator(seed: seed)
    let centres = (0..<(clusters * dimensions)).map { _ in generator.nextNormal() * 3 }
    var points: [Float] = []
    for _ in 0..<count {
        let centre = Int(generator.next() % UInt64(clusters))
        for j in 0..<dimensions { points.append(centres[centre * dimensions + j] + spread * generator.nextNormal()) }
    }
    return points
}

/// Every item a training item.
func allTraining(_ count: Int) -> [Bool] { [false] + Array(repeating: true, count: count) }

/// The semantic-ID tokenisers of sequential.md §4.1 against its oracles.
@Suite struct TokenisationTests {
    @Test func residualErrorFallsWithEveryLevel() {
        let points = clusteredPoints(count: 300, dimensions: 6, clusters: 12, seed: 3)
        var generator = RandomGenerator(seed: 1)
        let quantiser = ResidualQuantiser(
            points: points, rows: 300, dimensions: 6, levels: 4, codebookSize: 8, iterations: 20, tolerance: 1e-5,
            generator: &generator)
        let errors = quantiser.encode(points, rows: 300).errors
        #expect(errors.count == 4)
        for level in 1..<errors.count { #expect(errors[level] < errors[level - 1], "level \(level + 1): \(errors)") }
        #expect(errors[0] < meanSquare(points))
    }

    @Test func collisionDigitMakesEveryTupleUnique() throws {
        // 40 items on 3 distinct vectors: a 2-entry codebook must collide.
        let base: [[Float]] = [[0, 0], [5, 5], [9, 0]]
        let values = (0..<40).flatMap { base[$0 % 3] }
        var tokeniser = SemanticIDTokeniser(method: .residualKMeans, digits: 1)
        tokeniser.codebookSize = 2
        let (ids, report) = try tokeniser.tokenise(
            ItemVectors(itemCount: 40, dimensions: 2, values: values, source: "test"), trainingItems: allTraining(40))
        #expect(report.collisionsBefore > 0 && ids.collisions == 0)
        #expect(ids.digitSizes.count == 2 && ids.digitSizes[1] == report.collisionDigitSize)
        #expect(ids.ordered && ids.codes(item: 0).allSatisfy { $0 == 0 })
        // Items sharing a tuple are numbered 0, 1, 2 … in id order.
        #expect(ids.code(item: 1, digit: 1) == 0 && ids.code(item: 4, digit: 1) == 1 && ids.code(item: 7, digit: 1) == 2)
        var product = SemanticIDTokeniser(method: .productQuantisation, digits: 2)
        product.codebookSize = 2
        let unresolved = try product.tokenise(
            ItemVectors(itemCount: 40, dimensions: 2, values: values, source: "test"), trainingItems: allTraining(40)).ids
        #expect(!unresolved.ordered && unresolved.digits == 2 && unresolved.collisions > 0, "PQ: no collision digit by default")
    }

    @Test func tokensOfEachDigitLieInTheirOwnRange() throws {
        let points = clusteredPoints(count: 300, dimensions: 4, clusters: 40, seed: 5)
        var tokeniser = SemanticIDTokeniser(method: .productQuantisation, digits: 2)
        tokeniser.iterations = 3
        let (ids, _) = try tokeniser.tokenise(
            ItemVectors(itemCount: 300, dimensions: 4, values: points, source: "test"), trainingItems: allTraining(300))
        #expect(ids.digitSizes == [256, 256])
        var seen = Set<Int32>()
        for item in 1...300 {
            for digit in 0..<2 {
                let token = ids.token(item: item, digit: digit)
                #expect((Int32(256 * digit + 1)...Int32(256 * (digit + 1))).contains(token))
                seen.insert(token)
            }
        }
        #expect(seen.contains { $0 <= 256 } && seen.contains { $0 > 256 })
    }

    @Test func onlyTrainingItemsShapeTheCodebooks() throws {
        let count = 120
        var points = clusteredPoints(count: count, dimensions: 5, clusters: 6, seed: 9)
        var flags = allTraining(count)
        flags[count] = false
        for method in SemanticIDTokeniser.Method.allCases {
            var tokeniser = SemanticIDTokeniser(method: method, digits: method == .productQuantisation ? 5 : 2)
            tokeniser.codebookSize = 6
            tokeniser.pcaDimensions = 5
            tokeniser.whiten = true
            tokeniser.autoencoder.epochs = 2
            tokeniser.autoencoder.batchSize = 64
            let first = try tokeniser.tokenise(ItemVectors(itemCount: count, dimensions: 5, values: points, source: "a"), trainingItems: flags)
            for j in 0..<5 { points[(count - 1) * 5 + j] = 1e4 * Float(j % 2 == 0 ? 1 : -1) }
            let second = try tokeniser.tokenise(ItemVectors(itemCount: count, dimensions: 5, values: points, source: "a"), trainingItems: flags)
            #expect(first.report.trainedItems == count - 1)
            let withoutLast = (1..<count).map { Array(first.ids.codes(item: $0)) }
            let withoutLastAgain = (1..<count).map { Array(second.ids.codes(item: $0)) }
            #expect(withoutLast == withoutLastAgain, "\(method): a test-only item moved the codebooks")
            #expect(first.report.levelErrors == second.report.levelErrors)
        }
    }

    @Test func sameSeedSameCodes() throws {
        let points = clusteredPoints(count: 150, dimensions: 4, clusters: 10, seed: 2)
        let vectors = ItemVectors(itemCount: 150, dimensions: 4, values: points, source: "test")
        var tokeniser = SemanticIDTokeniser(method: .residualKMeans, digits: 3)
        tokeniser.codebookSize = 16
        tokeniser.seed = 42
        let first = try tokeniser.tokenise(vectors, trainingItems: allTraining(150)).ids
        let second = try tokeniser.tokenise(vectors, trainingItems: allTraining(150)).ids
        #expect(first == second)
        tokeniser.seed = 43
        #expect(try tokeniser.tokenise(vectors, trainingItems: allTraining(150)).ids.codes != first.codes)
    }

    @Test func whitenedPCAHasIdentityCovarianceOnTrainingItems() {
        var generator = RandomGenerator(seed: 4)
        let rows = 200
        var points: [Float] = []
        for _ in 0..<rows {
            let (a, b, c) = (generator.nextNormal(), generator.nextNormal(), generator.nextNormal())
            points += [3 * a + 1, a - 2 * b, 0.5 * c + b, 4 * a + 0.1 * c]
        }
        let pca = PrincipalComponents(points: points, rows: rows, inputDimensions: 4, dimensions: 3, whiten: true)
        let projected = pca.project(points, rows: rows)
        #expect(pca.eigenvalues == pca.eigenvalues.sorted(by: >))
        for i in 0..<3 {
            for j in 0..<3 {
                var covariance = 0.0
                for row in 0..<rows { covariance += Double(projected[row * 3 + i]) * Double(projected[row * 3 + j]) }
                covariance /= Double(rows - 1)
                #expect(abs(covariance - (i == j ? 1 : 0)) < 1e-3, "covariance[\(i), \(j)] = \(covariance)")
            }
        }
    }

    @Test func jacobiDiagonalisesASymmetricMatrix() {
        let matrix: [Double] = [4, 1, 2, 1, 3, 0, 2, 0, 5]
        let (values, vectors) = PrincipalComponents.symmetricEigen(matrix, size: 3)
        for k in 0..<3 {
            for i in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + matrix[i * 3 + $1] * vectors[$1 * 3 + k] }
                #expect(abs(product - values[k] * vectors[i * 3 + k]) < 1e-9)
            }
        }
        #expect(abs(values.reduce(0, +) - 12) < 1e-9)
    }

    @Test func rqvaeLossFallsAndGivesValidCodes() throws {
        let points = clusteredPoints(count: 128, dimensions: 8, clusters: 8, seed: 6)
        var generator = RandomGenerator(seed: 8)
        let model = ResidualQuantisedAutoencoder(
            inputDimensions: 8, hidden: [16], latent: 4, levels: 2, codebookSize: 8, generator: &generator)
        let (losses, reconstructions) = model.fit(
            points: points, rows: 128, dimensions: 8, epochs: 80, batchSize: 32, learningRate: 3e-3, generator: &generator)
        #expect(reconstructions.last! < 0.5 * reconstructions.first!, "reconstruction \(reconstructions.first!) → \(reconstructions.last!)")
        #expect(losses.suffix(5).max()! < losses.first!, "losses \(losses)")
        let encoded = model.encode(points, rows: 128, dimensions: 8)
        #expect(encoded.codes.allSatisfy { $0.count == 2 && $0.allSatisfy { (0..<8).contains($0) } })
        #expect(encoded.levelErrors[1] <= encoded.levelErrors[0])
        var tokeniser = SemanticIDTokeniser(method: .rqvae, digits: 2)
        tokeniser.codebookSize = 8
        tokeniser.autoencoder.epochs = 3
        let (ids, report) = try tokeniser.tokenise(
            ItemVectors(itemCount: 128, dimensions: 8, values: points, source: "test"), trainingItems: allTraining(128))
        #expect(ids.method == "rqvae" && ids.ordered && ids.collisions == 0 && ids.digitSizes.prefix(2) == [8, 8])
        #expect(report.epochLosses.count == 3)
    }

    @Test func kMeansHandlesFewDistinctPointsAndEmptyClusters() {
        var generator = RandomGenerator(seed: 1)
        let points: [Float] = [0, 0, 1, 1, 0, 0, 1, 1]
        let model = KMeans.fit(points: points, rows: 4, dimensions: 2, clusters: 10, generator: &generator)
        #expect(model.count == 2, "codebook size is min(K, distinct points)")
        #expect(model.nearest(points: points, rows: 4).distances.allSatisfy { $0 == 0 })
        var centroids = KMeans(count: 3, dimensions: 1, centroids: [0, 100, 1])
        let line: [Float] = [0, 0.5, 1, 9]
        let (assignments, distances) = centroids.nearest(points: line, rows: 4)
        centroids.update(points: line, rows: 4, assignments: assignments, distances: distances)
        #expect(centroids.centroids == [0.25, 9, 5], "the empty cluster takes the farthest point")
    }

    @Test func safeTensorsTablesAndRefusals() throws {
        let path = NSTemporaryDirectory() + "funnel-tokenise-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let table = (0..<10).map(Float.init)  // [5, 2]: a model table of 3 items.
        let entries: [String: SafeTensors.Entry] = [
            "itemTable.table": SafeTensors.Entry(shape: [5, 2], values: .float32(table)),
            "plain": SafeTensors.Entry(shape: [3, 2], values: .float32(Array(table.prefix(6)))),
        ]
        try SafeTensors.encode(entries).write(to: URL(fileURLWithPath: path))
        let model = try ItemVectors.readSafeTensors(path: path, tensor: nil, itemCount: 3)
        #expect(model.values == [2, 3, 4, 5, 6, 7], "rows 1 … N of an [N + 2, d] table")
        #expect(try ItemVectors.readSafeTensors(path: path, tensor: "plain", itemCount: 3).values == [0, 1, 2, 3, 4, 5])
        do {
            _ = try ItemVectors.readSafeTensors(path: path, tensor: "itemTable.table", itemCount: 7)
            Issue.record("a 5-row table for 7 items was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("itemTable.table") && message.contains("5 rows") && message.contains("7"))
        }
        #expect(throws: DataError.self) { try ItemVectors.readSafeTensors(path: path, tensor: "missing", itemCount: 3) }
    }

    @Test func optimisedProductQuantisationLearnsARotation() {
        // Correlated pairs across the two halves: plain PQ codes each half alone.
        var generator = RandomGenerator(seed: 12)
        var points: [Float] = []
        for _ in 0..<200 {
            let (a, b) = (generator.nextNormal(), generator.nextNormal())
            points += [a, b, a + 0.1 * generator.nextNormal(), b + 0.1 * generator.nextNormal()]
        }
        var plainGenerator = RandomGenerator(seed: 1)
        let plain = ProductQuantiser(
            points: points, rows: 200, dimensions: 4, subspaces: 2, codebookSize: 8, iterations: 20, tolerance: 1e-5,
            generator: &plainGenerator)
        var opqGenerator = RandomGenerator(seed: 1)
        let optimised = OptimisedProductQuantiser(
            points: points, rows: 200, dimensions: 4, subspaces: 2, codebookSize: 8, iterations: 20, rotationIterations: 5,
            tolerance: 1e-5, generator: &opqGenerator)
        let r = optimised.rotation
        for i in 0..<4 {
            for j in 0..<4 {
                let dot = (0..<4).reduce(Float(0)) { $0 + r[$1 * 4 + i] * r[$1 * 4 + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-4, "RᵀR[\(i), \(j)] = \(dot)")
            }
        }
        let plainError = plain.encode(points, rows: 200).overall
        let rotatedError = optimised.quantiser.encode(optimised.rotate(points, rows: 200), rows: 200).overall
        #expect(rotatedError < plainError, "OPQ \(rotatedError) vs PQ \(plainError)")
    }
}
