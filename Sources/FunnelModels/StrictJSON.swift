import Foundation

/// JSON decoding that refuses what `JSONDecoder` silently ignores: a key the type does not
/// know. Wrong types and missing fields are reported with the field's path.
public enum StrictJSON {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Decodes `type`, then re-encodes it and compares: any key of the input that the decoded
    /// value does not carry is unknown (a misspelt field would otherwise fall back to its
    /// default without a word).
    ///
    /// With `defaults`, fields the input leaves out take the default's values (the input is laid
    /// over the default, object by object), so a configuration names only what it changes.
    public static func decode<Value: Codable>(
        _ type: Value.Type, from data: Data, defaults: Value? = nil, context: String = ""
    ) throws -> Value {
        // Syntax errors with their line and column, and repeated keys with their path, first.
        try checkSyntax(data, context: context)
        let input: Any
        do {
            input = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw Error(description: "\(context.isEmpty ? "the configuration" : "'\(context)'") is not valid JSON")
        }
        var merged = input
        if let defaults {
            merged = overlay(input, on: try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)))
        }
        let value: Value
        do {
            value = try JSONDecoder().decode(type, from: JSONSerialization.data(withJSONObject: merged, options: [.fragmentsAllowed]))
        } catch let error as DecodingError {
            if case .dataCorrupted(let detail) = error, detail.codingPath.isEmpty,
                let located = locateNumber(type, input: input, defaults: defaults, context: context)
            {
                throw Error(description: located)
            }
            throw Error(description: describe(error, context: context))
        }
        let known = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        if let unknown = firstUnknownKey(input, known, path: context) {
            throw Error(description: "unknown field '\(unknown)'")
        }
        return value
    }

    /// The largest configuration file read (a configuration is a few kilobytes).
    public static let maximumFileSize = 16 << 20

    /// The bytes of a configuration file, or an error naming the file and the reason in plain
    /// words (no such file, a folder, permission denied, too large), never a raw
    /// `NSCocoaErrorDomain` dump.
    public static func readFile(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Error(description: "\(path): cannot be read: no such file")
        }
        guard !isDirectory.boolValue else {
            throw Error(description: "\(path): cannot be read: it is a folder (expected a JSON file)")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw Error(description: "\(path): cannot be read: permission denied")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
            size.intValue > maximumFileSize
        {
            throw Error(description: "\(path): cannot be read: \(size.intValue) bytes (expected a configuration of at most \(maximumFileSize >> 20) MiB)")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Error(description: "\(path): cannot be read: \(plainReason(error))")
        }
    }

    /// The reason of a file error in plain words: the POSIX error's text when there is one.
    public static func plainReason(_ error: any Swift.Error) -> String {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        switch error.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileWriteVolumeReadOnlyError: return "the volume is read-only"
        default: return "an input/output error (\(error.domain) \(error.code))"
        }
    }

    /// One step of a path into a JSON tree.
    private enum Step {
        case key(String)
        case index(Int)
    }

    /// The field of a number the decoder could not convert (a negative seed, a fractional epoch
    /// count, a Float beyond ±3.4e38), which `JSONDecoder` reports without any path: each number
    /// of the input that could be out of some type's range is replaced by 0 in turn until the
    /// failure goes away; then 0.5 and -1 in its place tell which kind of number was expected.
    private static func locateNumber<Value: Codable>(
        _ type: Value.Type, input: Any, defaults: Value?, context: String
    ) -> String? {
        let base: Any? = defaults.flatMap { try? JSONSerialization.jsonObject(with: JSONEncoder().encode($0)) }
        func decodes(_ tree: Any) -> Bool? {
            let merged = base.map { overlay(tree, on: $0) } ?? tree
            guard let data = try? JSONSerialization.data(withJSONObject: merged, options: [.fragmentsAllowed]) else { return nil }
            do {
                _ = try JSONDecoder().decode(type, from: data)
                return true
            } catch DecodingError.dataCorrupted(let detail) where detail.codingPath.isEmpty {
                return false
            } catch {
                return true
            }
        }
        for (path, number) in suspiciousNumbers(input, path: []) {
            guard decodes(replacing(path, in: input, with: 0)) == true else { continue }
            let name = ([context].filter { !$0.isEmpty } + path.map { step -> String in
                switch step {
                case .key(let key): return key
                case .index(let index): return "[\(index)]"
                }
            }).joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            let found = number.doubleValue == number.doubleValue.rounded() && abs(number.doubleValue) < 1e18
                ? "\(number.int64Value)" : "\(number.doubleValue)"
            let expected: String
            if decodes(replacing(path, in: input, with: 0.5)) == true {
                expected = "a number within ±3.4e38"
            } else if decodes(replacing(path, in: input, with: -1)) == true {
                expected = "an integer within ±9.2e18"
            } else {
                expected = "a non-negative integer"
            }
            return "field '\(name)': expected \(expected), found \(found)"
        }
        return nil
    }

    /// The numbers of a tree that some numeric type could refuse: negative, fractional or large.
    private static func suspiciousNumbers(_ tree: Any, path: [Step]) -> [(path: [Step], number: NSNumber)] {
        if let object = tree as? [String: Any] {
            return object.keys.sorted().flatMap { suspiciousNumbers(object[$0]!, path: path + [.key($0)]) }
        }
        if let array = tree as? [Any] {
            return array.enumerated().flatMap { suspiciousNumbers($1, path: path + [.index($0)]) }
        }
        guard !(tree is String), let number = tree as? NSNumber else { return [] }
        let value = number.doubleValue
        return value < 0 || value != value.rounded() || abs(value) > 2_147_483_647 ? [(path, number)] : []
    }

    private static func replacing(_ path: [Step], in tree: Any, with value: Any) -> Any {
        guard let step = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch step {
        case .key(let key):
            guard var object = tree as? [String: Any], let child = object[key] else { return tree }
            object[key] = replacing(rest, in: child, with: value)
            return object
        case .index(let index):
            guard var array = tree as? [Any], array.indices.contains(index) else { return tree }
            array[index] = replacing(rest, in: array[index], with: value)
            return array
        }
    }

    private static func overlay(_ input: Any, on base: Any) -> Any {
        guard let input = input as? [String: Any], var base = base as? [String: Any] else { return input }
        for (key, value) in input {
            base[key] = base[key].map { overlay(value, on: $0) } ?? value
        }
        return base
    }

    private static func firstUnknownKey(_ input: Any, _ known: Any, path: String) -> String? {
        if let input = input as? [String: Any] {
            let known = known as? [String: Any] ?? [:]
            for key in input.keys.sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                guard let knownValue = known[key] else {
                    if input[key] is NSNull { continue }
                    return child
                }
                if let found = firstUnknownKey(input[key]!, knownValue, path: child) { return found }
            }
        } else if let input = input as? [Any], let known = known as? [Any] {
            for (index, element) in input.enumerated() where index < known.count {
                if let found = firstUnknownKey(element, known[index], path: "\(path)[\(index)]") { return found }
            }
        }
        return nil
    }

    private static func describe(_ error: DecodingError, context: String) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let parts = (context.isEmpty ? [] : [context]) + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let detail):
            return "field '\(path(detail.codingPath))': expected \(type)"
        case .valueNotFound(let type, let detail):
            return "field '\(path(detail.codingPath))': expected \(type), found null"
        case .keyNotFound(let key, let detail):
            return "field '\(path(detail.codingPath + [key]))' is required"
        case .dataCorrupted(let detail):
            return "field '\(path(detail.codingPath))': \(detail.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
