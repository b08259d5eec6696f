/// A column of a result or a dataset: its name and DuckDB's type for it (`BIGINT`, `VARCHAR`, `DATE`, …).
public struct Column: Sendable, Equatable, Codable {
    public let name: String
    public let type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}

/// One page of a query's result. Columns with the same name are told apart by DuckDB's suffix
/// (`a`, `a_1`).
public struct QueryResult: Sendable, Equatable {
    public let columns: [Column]
    /// Each row has one value per column: numbers as DuckDB printed them (exact digits),
    /// decimals, dates and times as strings, lists and structs as JSON.
    public let rows: [[JSONValue]]
    /// True when more rows follow this page (ask again with a larger offset).
    public let truncated: Bool

    public init(columns: [Column], rows: [[JSONValue]], truncated: Bool) {
        self.columns = columns
        self.rows = rows
        self.truncated = truncated
    }
}

/// What a dataset holds: its columns with the inferred types, and how many rows.
public struct Schema: Sendable, Equatable, Codable {
    public let columns: [Column]
    public let rows: Int

    public init(columns: [Column], rows: Int) {
        self.columns = columns
        self.rows = rows
    }
}
