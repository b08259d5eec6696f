import Foundation

/// A parsed JSON document, kept exact enough to tell `true` from `1` and to name every key,
/// so scenario files can be read strictly (an unknown key is an error, never ignored).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Why a scenario file cannot be used; `path` names the key (`events[2].crash`).
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Reads one JSON object, remembering which keys were used; `finish()` fails on the rest.
struct StrictObject {
    let path: String
    private let fields: [String: JSONValue]
    private var used: Set<String> = []

    init(_ value: JSONValue, at path: String) throws(ScenarioError) {
        guard case let .object(fields) = value else { throw ScenarioError(path, "expected an object, found \(value.kindName)") }
        self.path = path
        self.fields = fields
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var keys: [String] { fields.keys.sorted() }

    mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        return fields[key]
    }

    mutating func required(_ key: String) throws(ScenarioError) -> JSONValue {
        guard let v = value(key) else { throw ScenarioError(child(key), "is required") }
        return v
    }

    mutating func string(_ key: String) throws(ScenarioError) -> String? {
        guard let v = value(key) else { return nil }
        guard case let .string(s) = v else { throw ScenarioError(child(key), "expected a string, found \(v.kindName)") }
        return s
    }

    mutating func number(_ key: String, in range: ClosedRange<Double>) throws(ScenarioError) -> Double? {
        guard let v = value(key) else { return nil }
        return try Self.number(v, at: child(key), in: range)
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int64>) throws(ScenarioError) -> Int64? {
        guard let v = value(key) else { return nil }
        return try Self.integer(v, at: child(key), in: range)
    }

    mutating func array(_ key: String) throws(ScenarioError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case let .array(a) = v else { throw ScenarioError(child(key), "expected an array, found \(v.kindName)") }
        return a
    }

    /// Fails when the object has keys nobody asked for, naming them and the known ones.
    func finish(known: [String]) throws(ScenarioError) {
        let unknown = fields.keys.filter { !used.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let where_ = unknown.map { child($0) }.joined(separator: ", ")
            throw ScenarioError(where_, "unknown key; known keys here are \(known.joined(separator: ", "))")
        }
    }

    static func number(_ v: JSONValue, at path: String, in range: ClosedRange<Double>) throws(ScenarioError) -> Double {
        guard case let .number(n) = v else { throw ScenarioError(path, "expected a number, found \(v.kindName)") }
        guard range.contains(n) else { throw ScenarioError(path, "\(n) is outside \(range.lowerBound)...\(range.upperBound)") }
        return n
    }

    static func integer(_ v: JSONValue, at path: String, in range: ClosedRange<Int64>) throws(ScenarioError) -> Int64 {
        guard case let .number(n) = v, n.rounded() == n, abs(n) < 9e15 else {
            throw ScenarioError(path, "expected a whole number, found \(v.kindName == "a number" ? "a fraction" : v.kindName)")
        }
        let i = Int64(n)
        guard range.contains(i) else { throw ScenarioError(path, "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }
}
