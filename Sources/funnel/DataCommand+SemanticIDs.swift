import ArgumentParser
import Foundation
import FunnelData
import FunnelModels

extension DataCommand {
    struct SemanticIDsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "semantic-ids",
            abstract: "Tokenise a sequence dataset's items into semantic IDs (sequential.md §4.1).",
            discussion: """
                Item vectors come from --vectors (a .csv with a header, rows in item-id order and an optional first column 'item'; a .npy [N, d] <f4/<f8 array; or a .safetensors tensor: a trained model's item table [N + 2, d] or an [N, d] tensor, named with --tensor) and/or side tables keyed by the raw item key of the dataset's items.csv (--features with --multi-valued fields split on '|' as multi-hot; --tags as a tf-idf bag). Quantisers are trained only on items seen in the train split's sequences and applied to every item. Writes <dataset>/<name>.csv and <name>.json.

                Example: funnel data semantic-ids --dataset data/movielens-sequences --method residual-kmeans --features ../shared/data/movielens-latest-small/movies.csv --multi-valued genres --tags ../shared/data/movielens-latest-small/tags.csv --digits 3 --codebook 256 --collision-digit
                """)

        @Option(help: "The sequence dataset folder (written by `funnel data sequences`).")
        var dataset: String

        @Option(help: "residual-kmeans, rqvae or product-quantisation.")
        var method: String

        @Option(help: "Item vectors: .csv, .npy or .safetensors.")
        var vectors: String?

        @Option(help: "The tensor of a .safetensors file (default: itemTable.table, or the only 2-D tensor).")
        var tensor: String?

        @Option(help: "A side table of item features keyed by the raw item key.")
        var features: String?

        @Option(help: "The raw-item-key column of --features.")
        var featureKey = "movieId"

        @Option(help: "A '|'-separated multi-valued field of --features, made multi-hot (repeatable).")
        var multiValued: [String] = []

        @Option(help: "An (item, tag) table: a tf-idf bag over its tags.")
        var tags: String?

        @Option(help: "The raw-item-key column of --tags.")
        var tagKey = "movieId"

        @Option(help: "The tag column of --tags.")
        var tag = "tag"

        @Option(help: "Tags seen fewer times than this are dropped.")
        var minimumTagCount = 2

        @Option(help: "Levels (residual methods) or sub-spaces (product quantisation).")
        var digits = 3

        @Option(help: "The entries of each codebook.")
        var codebook = 256

        @Option(help: "PCA to this many dimensions first (fitted on training items).")
        var pca: Int?

        @Flag(help: "Whiten the PCA components.")
        var whiten = false

        @Flag(inversion: .prefixedNo, help: "Append a digit numbering items that share a tuple (default: on for residual-kmeans and rqvae, off for product-quantisation).")
        var collisionDigit: Bool?

        @Option(help: "The most Lloyd iterations of each k-means.")
        var iterations = 25

        @Option(help: "Product quantisation: OPQ rotation updates (alternating Procrustes; 0 = plain PQ).")
        var opqIterations = 0

        @Option(help: "RQ-VAE training epochs.")
        var epochs = 50

        @Option(help: "RQ-VAE Adam learning rate.")
        var learningRate: Float = 1e-3

        @Option(help: "RQ-VAE batch size (the first batch also seeds the codebooks).")
        var batchSize = 256

        @Option(help: "The random seed.")
        var seed: UInt64 = 0

        @Option(help: "The file name (without extension) of the codes.")
        var name = "semantic-ids"

        func validate() throws {
            guard SemanticIDTokeniser.Method(rawValue: method) != nil else {
                throw ValidationError("--method must be one of \(SemanticIDTokeniser.Method.allCases.map(\.rawValue).joined(separator: ", ")); got '\(method)'")
            }
            guard vectors != nil || features != nil || tags != nil else {
                throw ValidationError("give item vectors: --vectors FILE, and/or --features FILE / --tags FILE")
            }
            guard features != nil || multiValued.isEmpty else { throw ValidationError("--multi-valued needs --features") }
            guard features == nil || !multiValued.isEmpty else {
                throw ValidationError("--features needs at least one --multi-valued field (e.g. --multi-valued genres)")
            }
            guard tensor == nil || (vectors ?? "").hasSuffix(".safetensors") else {
                throw ValidationError("--tensor applies only to a .safetensors --vectors file")
            }
            guard digits >= 1 else { throw ValidationError("--digits must be at least 1") }
            guard (1...65_536).contains(codebook) else { throw ValidationError("--codebook must be in 1 … 65536") }
            guard pca.map({ $0 >= 1 }) ?? true else { throw ValidationError("--pca must be at least 1") }
            guard !whiten || pca != nil else { throw ValidationError("--whiten needs --pca D") }
            guard opqIterations == 0 || method == SemanticIDTokeniser.Method.productQuantisation.rawValue else {
                throw ValidationError("--opq-iterations applies only to --method product-quantisation")
            }
            guard learningRate > 0, learningRate.isFinite, batchSize >= 1 else {
                throw ValidationError("--learning-rate must be a positive number and --batch-size at least 1")
            }
            guard iterations >= 1, epochs >= 1, minimumTagCount >= 1, opqIterations >= 0 else {
                throw ValidationError("--iterations, --epochs and --minimum-tag-count must be at least 1")
            }
            guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain file name") }
        }

        func run() throws {
            let data = try Dataset.load(dataset)
            guard let vocabulary = data.vocabulary(for: "target") else {
                throw ValidationError("\(dataset) has no 'target' vocabulary; is it a `funnel data sequences` folder?")
            }
            let itemCount = vocabulary.size - 1
            var itemVectors: ItemVectors?
            if let vectors {
                itemVectors = vectors.lowercased().hasSuffix(".safetensors")
                    ? try ItemVectors.readSafeTensors(path: vectors, tensor: tensor, itemCount: itemCount)
                    : try ItemVectors.read(path: vectors, itemCount: itemCount)
            }
            var itemsWithoutFeatures: Int?
            if features != nil || tags != nil {
                let side = try ItemSideFeatures(
                    dataset: dataset, features: features, featureKey: featureKey, multiValued: multiValued, tags: tags,
                    tagKey: tagKey, tagColumn: tag, minimumTagCount: minimumTagCount)
                guard side.vectors.itemCount == itemCount else {
                    throw ValidationError("\(dataset)/items.csv lists \(side.vectors.itemCount) items; the target vocabulary has \(itemCount)")
                }
                itemsWithoutFeatures = side.itemsWithoutFeatures
                print("side features: " + side.blocks.map { "\($0.name) \($0.width)" }.joined(separator: ", "))
                itemVectors = itemVectors.map { $0.concatenated(with: side.vectors) } ?? side.vectors
            }
            guard let itemVectors else { return }
            var tokeniser = SemanticIDTokeniser(method: SemanticIDTokeniser.Method(rawValue: method)!, digits: digits)
            tokeniser.codebookSize = codebook
            tokeniser.pcaDimensions = pca
            tokeniser.whiten = whiten
            tokeniser.iterations = iterations
            tokeniser.seed = seed
            tokeniser.collisionDigit = collisionDigit
            tokeniser.autoencoder.epochs = epochs
            tokeniser.autoencoder.learningRate = learningRate
            tokeniser.autoencoder.batchSize = batchSize
            tokeniser.rotationIterations = opqIterations
            let flags = try data.trainingItemFlags(itemCount: itemCount)
            var (ids, report) = try tokeniser.tokenise(itemVectors, trainingItems: flags)
            report.itemsWithoutFeatures = itemsWithoutFeatures
            try ids.write(directory: dataset, name: name)
            print("\(itemVectors.source) -> \(dataset)/\(name).csv, \(name).json")
            print("digits \(ids.digitSizes.map(String.init).joined(separator: " × ")), tokens \(ids.tokenCount) (0 = padding, \(ids.endToken) = EOS)")
            print(report.text)
        }
    }
}
