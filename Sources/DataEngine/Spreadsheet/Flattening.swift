/// How nested JSON becomes rows and columns. The rules, for one record:
/// - an object's members become columns named by their dotted path (`address.city`);
/// - an array of objects becomes rows: one per element, the record's other columns repeated;
///   several such arrays side by side multiply (every combination), which is why rows are
///   counted before anything is built;
/// - an array of scalars is joined into one cell (`.join`, with `separator`) or becomes rows like
///   an array of objects (`.expand`);
/// - an empty array or object adds no row and no column; null is an empty cell;
/// - a scalar record (a bare number in a top-level array) is the column `value`.
public struct Flattening: Sendable {
    public enum Arrays: String, Sendable, CaseIterable {
        /// Arrays of scalars in one cell, joined.
        case join
        /// Arrays of scalars into rows, like arrays of objects.
        case expand
    }

    public var arrays: Arrays = .join
    /// Between the elements of a joined array.
    public var separator = "; "
    /// How deeply expansions may nest in one record (each expanding array inside another, or
    /// beside another, is one level); past it the record is refused rather than the stack.
    public var maxExpansionDepth = 2_000

    public init(arrays: Arrays = .join, separator: String = "; ") {
        self.arrays = arrays
        self.separator = separator
    }

    static func path(_ prefix: String, _ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
    static func column(_ path: String) -> String { path.isEmpty ? "value" : path }

    /// True when `items` stay in one cell.
    func joins(_ items: [JSONValue]) -> Bool {
        arrays == .join && !items.isEmpty && items.allSatisfy(\.isScalar)
    }

    /// The joined text of an array of scalars.
    func joined(_ items: [JSONValue]) -> String {
        items.map(\.cellText).joined(separator: separator)
    }

    /// True when `v` yields exactly one row without expanding anything.
    func isFlat(_ v: JSONValue) -> Bool {
        switch v {
        case let .object(members): members.allSatisfy { isFlat($0.value) }
        case let .array(items): items.isEmpty || joins(items)
        default: true
        }
    }

    /// The rows `v` expands to (saturating at UInt64.max), and how deep its expansions nest.
    func count(_ v: JSONValue) -> (rows: UInt64, depth: Int) {
        switch v {
        case let .object(members):
            var rows: UInt64 = 1
            var depth = 0
            for m in members {
                let (r, d) = count(m.value)
                rows = Self.multiply(rows, r)
                if !isFlat(m.value) { depth += d + 1 }
            }
            return (rows, depth)
        case let .array(items):
            if items.isEmpty || joins(items) { return (1, 0) }
            var rows: UInt64 = 0
            var depth = 0
            for item in items {
                let (r, d) = count(item)
                rows = Self.add(rows, r)
                depth = max(depth, d)
            }
            return (rows, depth + 1)
        default:
            return (1, 0)
        }
    }

    /// The cell a scalar becomes: numbers as numbers when a double holds them exactly enough
    /// (integers beyond 2^53 and non-finite values stay text, so no digit is lost).
    static func cell(_ v: JSONValue) -> XLSXCell {
        switch v {
        case .null: return .empty
        case let .bool(b): return .bool(b)
        case let .string(s): return .string(s)
        case let .number(raw):
            guard let d = Double(raw), d.isFinite else { return .string(raw) }
            let integral = !raw.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            if integral && abs(d) > 9_007_199_254_740_992 { return .string(raw) }
            return .number(d)
        case .array, .object: return .string(v.jsonText)
        }
    }

    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? .max : r
    }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? .max : r
    }
}

/// One row being built: a cell per column, set and restored as the walk goes in and out.
final class RowBuffer {
    var cells: [XLSXCell]

    init(columns: Int) { cells = Array(repeating: .empty, count: columns) }

    /// Sets a cell; returns what was there, for `restore`.
    @inline(__always) func set(_ column: Int, _ cell: XLSXCell) -> XLSXCell {
        let old = cells[column]
        cells[column] = cell
        return old
    }
}

/// Walks records into rows (the second pass): `emit` is called once per row with the buffer
/// filled in. Columns must have been planned (every path is in `columns`).
struct RowExpander {
    let flattening: Flattening
    let columns: [String: Int]
    let row: RowBuffer
    let emit: () throws -> Void

    func expand(_ record: JSONValue) throws {
        try walk(record, "", emit)
    }

    private func walk(_ v: JSONValue, _ path: String, _ next: () throws -> Void) throws {
        switch v {
        case let .object(members):
            try walkMembers(members, from: 0, path, next)
        case let .array(items):
            if items.isEmpty { return try next() }
            if flattening.joins(items) {
                return try withCell(Flattening.column(path), .string(flattening.joined(items)), next)
            }
            for item in items { try walk(item, path, next) }
        default:
            try withCell(Flattening.column(path), Flattening.cell(v), next)
        }
    }

    private func withCell(_ column: String, _ cell: XLSXCell, _ next: () throws -> Void) throws {
        let index = try self.index(column)
        let old = row.set(index, cell)
        defer { _ = row.set(index, old) }
        try next()
    }

    /// Members from `start` on: a run of flat ones is set in place, then the next expanding one
    /// is walked with the rest as its continuation.
    private func walkMembers(_ members: [JSONMember], from start: Int, _ path: String, _ next: () throws -> Void) throws {
        var saved: [(Int, XLSXCell)] = []
        defer { for (i, old) in saved.reversed() { _ = row.set(i, old) } }
        var i = start
        while i < members.count, flattening.isFlat(members[i].value) {
            try setFlat(members[i].value, Flattening.path(path, members[i].key), &saved)
            i += 1
        }
        if i == members.count { return try next() }
        let m = members[i]
        try walk(m.value, Flattening.path(path, m.key)) { try self.walkMembers(members, from: i + 1, path, next) }
    }

    private func setFlat(_ v: JSONValue, _ path: String, _ saved: inout [(Int, XLSXCell)]) throws {
        switch v {
        case let .object(members):
            for m in members { try setFlat(m.value, Flattening.path(path, m.key), &saved) }
        case let .array(items):
            if items.isEmpty { return }
            let index = try index(Flattening.column(path))
            saved.append((index, row.set(index, .string(flattening.joined(items)))))
        default:
            let index = try index(Flattening.column(path))
            saved.append((index, row.set(index, Flattening.cell(v))))
        }
    }

    /// The column's index; a column the plan never saw means the input changed between passes.
    private func index(_ column: String) throws -> Int {
        guard let i = columns[column] else { throw DataEngineError.notRecords("the input changed while it was being converted: try again") }
        return i
    }
}
