extension GGUFFile {
    /// Everything before a GGUF file's data section (ggml `docs/gguf.md`, `gguf_header_t` and
    /// `gguf_tensor_info_t`), read and checked by ``init(reading:)``.
    struct Header {
        static let magic: [UInt8] = Array("GGUF".utf8)
        static let supportedVersions = 2...3
        /// ggml's `GGML_MAX_DIMS`.
        static let maximumDimensionCount = 4
        static let defaultAlignment = 32

        var version = 0
        var metadata: [String: GGUFValue] = [:]
        var metadataKeys: [String] = []
        var metadataOffsets: [String: Int] = [:]
        var tensors: [GGUFTensorInfo] = []
        var alignment = Header.defaultAlignment
        var dataStart = 0
        private var tensorNames: Set<String> = []

        init(reading reader: inout GGUFByteReader) throws {
            let magicStart = reader.offset
            let rawMagic = try reader.integer(UInt32.self, "header.magic")
            let magic = withUnsafeBytes(of: rawMagic.littleEndian) { Array($0) }
            guard magic == Self.magic else {
                let shown = magic.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
                throw reader.error("header.magic", at: magicStart, "bytes \(shown); expected 47 47 55 46 (\"GGUF\")")
            }
            let versionStart = reader.offset
            let version = try reader.integer(UInt32.self, "header.version")
            guard Self.supportedVersions.contains(Int(version)) else {
                throw reader.error("header.version", at: versionStart, "version \(version); expected 2 or 3")
            }
            self.version = Int(version)
            let tensorCount = try reader.count("header.tensor_count")
            let metadataCount = try reader.count("header.metadata_kv_count")
            // The counts are not checked against the file length up front: nothing is allocated
            // from them, and a short file then fails at the first pair or info it lacks, by name.
            try readMetadata(count: metadataCount, from: &reader)
            for index in 0..<tensorCount {
                let info = try readTensorInfo(index: index, from: &reader)
                tensors.append(info)
                tensorNames.insert(info.name)
            }
            let (padded, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
            dataStart = overflow ? Int.max : padded / alignment * alignment
            try placeTensorData(checkedBy: reader)
        }

        private mutating func readMetadata(count: Int, from reader: inout GGUFByteReader) throws {
            for index in 0..<count {
                let keyStart = reader.offset
                let key = try reader.string("metadata[#\(index)].key")
                guard metadata[key] == nil else {
                    throw reader.error("metadata[\(key)]", at: keyStart, "the key appears twice")
                }
                let field = "metadata[\(key)]"
                let type = try reader.valueType(field + ".type")
                metadata[key] = try reader.value(of: type, field)
                metadataKeys.append(key)
                metadataOffsets[key] = keyStart
            }
            if let value = metadata["general.alignment"] {
                // gguf.md: a uint32 that "must be a multiple of 8".
                guard case .uint32(let raw) = value, raw > 0, raw % 8 == 0 else {
                    throw reader.error(
                        "metadata[general.alignment]", at: metadataOffsets["general.alignment"],
                        "\(value.typeDescription) \(value); expected a uint32 positive multiple of 8")
                }
                alignment = Int(raw)
            }
        }

        private func readTensorInfo(index: Int, from reader: inout GGUFByteReader) throws -> GGUFTensorInfo {
            let infoStart = reader.offset
            let name = try reader.string("tensor #\(index): name")
            guard !tensorNames.contains(name) else {
                throw reader.error("tensor \(name): name", at: infoStart, "the name appears twice")
            }
            let field = { (attribute: String) in "tensor \(name): \(attribute)" }
            let dimensionCountStart = reader.offset
            let dimensionCount = try reader.integer(UInt32.self, field("n_dimensions"))
            guard (1...UInt32(Self.maximumDimensionCount)).contains(dimensionCount) else {
                throw reader.error(field("n_dimensions"), at: dimensionCountStart, "\(dimensionCount); expected 1 to \(Self.maximumDimensionCount)")
            }
            let dimensionsStart = reader.offset
            var dimensions: [Int] = []
            var product = 1
            for _ in 0..<Int(dimensionCount) {
                let dimension = try reader.count(field("dimensions"))
                let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw reader.error(field("dimensions"), at: dimensionsStart, "the product of \(dimensions + [dimension]) overflows a 64-bit count")
                }
                product = next
                dimensions.append(dimension)
            }
            let type = GGMLType(id: try reader.integer(UInt32.self, field("type")))
            if let layout = type.layout, dimensions[0] % layout.blockLength != 0 {
                throw reader.error(
                    field("dimensions"), at: dimensionsStart,
                    "ne[0] = \(dimensions[0]) is not a multiple of the \(type.name) block length \(layout.blockLength)")
            }
            let offsetStart = reader.offset
            let rawOffset = try reader.integer(UInt64.self, field("offset"))
            guard let offset = Int(exactly: rawOffset), offset % alignment == 0 else {
                throw reader.error(field("offset"), at: offsetStart, "offset \(rawOffset) is not a multiple of the alignment \(alignment)")
            }
            return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset, fileOffset: 0, infoOffset: infoStart)
        }

        /// Places each tensor in the file and refuses one whose data (where its type's layout
        /// is known) runs past the end.
        private mutating func placeTensorData(checkedBy reader: GGUFByteReader) throws {
            let fileLength = reader.bytes.count
            tensors = try tensors.map { info in
                let (fileOffset, overflow) = dataStart.addingReportingOverflow(info.offset)
                let error = { (reason: String) in
                    LanguageFileError(file: reader.file, field: info.field("data"), location: .byte(overflow ? info.infoOffset : fileOffset), reason: reason)
                }
                guard !overflow, fileOffset <= fileLength else {
                    throw error("data offset \(info.offset) after the data start \(dataStart) lies past the end of the file (\(fileLength) bytes)")
                }
                if let byteCount = info.byteCount, byteCount > fileLength - fileOffset {
                    throw error("\(byteCount) bytes of \(info.type.name) run past the end of the file (\(fileLength - fileOffset) bytes left)")
                }
                return GGUFTensorInfo(
                    name: info.name, dimensions: info.dimensions, type: info.type, offset: info.offset,
                    fileOffset: fileOffset, infoOffset: info.infoOffset)
            }
        }
    }
}
