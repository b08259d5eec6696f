import Foundation
import Testing
@testable import DataEngine

/// A CSV file's sniffed reader is kept after its first query and used by the next ones: the same
/// answers, for that version of the file only, and nothing in the cache reaches SQL unquoted.
@Suite struct ReaderCacheTests {
    let folder = TempFolder()

    func engine() throws -> SQLEngine {
        var e = try Support.engine(folder)
        e.readerCache = ReaderCache(folder: folder.file("readers"))
        return e
    }

    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.file("readers"))) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func anEntryMadeByAnotherDuckDBVersionIsNotUsed() async throws {
        let csv = folder.write("v.csv", "a,b\n1,x\n")
        let e = try engine()
        let ds = try Dataset(path: csv)
        _ = try await e.query("SELECT * FROM v", datasets: [ds])
        let name = try #require(entries().first)
        #expect(name.hasSuffix("-duckdb-\(DuckDBInstall.pinnedVersion).json"))
        // The same pin under the name an older DuckDB gave it: not found for this one.
        let older = name.replacingOccurrences(of: "-duckdb-\(DuckDBInstall.pinnedVersion)", with: "-duckdb-0.9.0")
        try FileManager.default.moveItem(atPath: folder.file("readers/" + name), toPath: folder.file("readers/" + older))
        let identity = try #require(FileIdentity(path: csv))
        #expect(e.readerCache?.reader(for: ds, identity: identity) == nil)
    }

    /// A header with both quote characters, a comma inside quotes, dates, timestamps, nulls.
    static let awkward = #"""
    id,"it's ""odd""",when,at,note
    1,"a, b",2024-01-31,2024-01-31 08:30:00,
    2,x,2023-12-01,2023-12-01 00:00:00,"two
    lines"

    """#

    @Test func theSecondQueryReadsThroughThePinnedReaderWithTheSameAnswer() async throws {
        let csv = folder.write("odd.csv", Self.awkward)
        let tsv = folder.write("t.tsv", "k\tv\na\t1\nb\t2\n")
        let e = try engine()
        let datasets = [try Dataset(path: csv), try Dataset(path: tsv)]
        let sql = "SELECT * FROM odd JOIN t ON odd.id = t.v ORDER BY id"
        let cold = try await e.query(sql, datasets: datasets)
        #expect(entries().count == 2)
        let identity = try #require(FileIdentity(path: csv))
        let pinned = try #require(e.readerCache?.reader(for: datasets[0], identity: identity))
        #expect(pinned.columns.map(\.name) == ["id", "it's \"odd\"", "when", "at", "note"])
        #expect(pinned.tableFunction.contains("auto_detect=false"))
        let warm = try await e.query(sql, datasets: datasets)
        #expect(warm == cold)
        #expect(cold.rows.count == 2)
        #expect(cold.columns.map(\.type).prefix(4) == ["BIGINT", "VARCHAR", "DATE", "TIMESTAMP"])
        let schema = try await e.schema(of: datasets[0])
        #expect(schema.rows == 2)
        #expect(schema.columns.map(\.name) == pinned.columns.map(\.name))
    }

    @Test func thePinIsUsedAndOnlyForTheVersionItWasMadeFrom() async throws {
        let csv = folder.write("n.csv", "a,b\n1,x\n2,y\n")
        let e = try engine()
        let ds = try Dataset(path: csv)
        _ = try await e.query("SELECT * FROM n", datasets: [ds])
        let name = try #require(entries().first)
        // Rewrite the entry to read column a as text: the next query shows it is what is used.
        let entry = folder.file("readers/" + name)
        var pinned = try JSONDecoder().decode(PinnedCSVReader.self, from: try Data(contentsOf: URL(fileURLWithPath: entry)))
        pinned.columns[0] = Column(name: "a", type: "VARCHAR")
        try JSONEncoder().encode(pinned).write(to: URL(fileURLWithPath: entry))
        let viaPin = try await e.query("SELECT * FROM n", datasets: [ds])
        #expect(viaPin.columns.first?.type == "VARCHAR")
        // A new version of the file (other size and time) is sniffed again: a is a number.
        folder.write("n.csv", "a,b\n1,x\n2,y\n3,z\n")
        let fresh = try await e.query("SELECT * FROM n", datasets: [ds])
        #expect(fresh.columns.first?.type == "BIGINT")
        #expect(fresh.rows.count == 3)
    }

    @Test func aDamagedOrForeignEntryIsIgnored() async throws {
        let csv = folder.write("d.csv", "a,b\n1,x\n")
        let e = try engine()
        let ds = try Dataset(path: csv)
        _ = try await e.query("SELECT * FROM d", datasets: [ds])
        let entry = folder.file("readers/" + (try #require(entries().first)))
        // Another path under this file's identity (a copied cache): not used.
        var pinned = try JSONDecoder().decode(PinnedCSVReader.self, from: try Data(contentsOf: URL(fileURLWithPath: entry)))
        pinned.path = "/etc/passwd"
        try JSONEncoder().encode(pinned).write(to: URL(fileURLWithPath: entry))
        let identity = try #require(FileIdentity(path: csv))
        #expect(e.readerCache?.reader(for: ds, identity: identity) == nil)
        let r1 = try await e.query("SELECT * FROM d", datasets: [ds])
        #expect(r1.rows == [[.n(1), .s("x")]])
        // Garbage: ignored, then written again.
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: entry))
        let r2 = try await e.query("SELECT * FROM d", datasets: [ds])
        #expect(r2 == r1)
        #expect(e.readerCache?.reader(for: ds, identity: identity) != nil)
    }

    /// A file with no line break at all (a header alone): sniff_csv names no newline, and the
    /// pinned reader must not pass an empty one (read_csv refuses it).
    @Test func aHeaderWithoutALineBreakQueriesAgain() async throws {
        let csv = folder.write("h.csv", "a,b")
        let e = try engine()
        let ds = try Dataset(path: csv)
        let first = try await e.query("SELECT count(*) AS n FROM h", datasets: [ds])
        let again = try await e.query("SELECT count(*) AS n FROM h", datasets: [ds])
        #expect(again == first)
        #expect(first.rows == [[.n(0)]])
    }

    @Test func valuesFromTheCacheAreQuotedNeverSpliced() throws {
        let identity = FileIdentity(path: "/")!
        let hostile = PinnedCSVReader(path: "/tmp/x.csv", identity: identity, delimiter: ",", quote: "'", escape: "'", newLine: "\\n",
                                      comment: "", skipRows: -5, header: true,
                                      columns: [Column(name: "a'); COPY (SELECT 1) TO '/tmp/p", type: "VARCHAR')--")],
                                      dateFormat: "%d'", timestampFormat: nil)
        let sql = hostile.tableFunction
        #expect(sql.contains("'a''); COPY (SELECT 1) TO ''/tmp/p': 'VARCHAR'')--'"))
        #expect(sql.contains("quote=''''"))
        #expect(sql.contains("skip=0"))
        #expect(sql.contains("dateformat='%d'''"))
    }

    @Test func theCacheKeepsItsNewestEntries() throws {
        var cache = ReaderCache(folder: folder.file("few"))
        cache.maxEntries = 3
        for i in 0..<5 {
            let path = folder.write("f\(i).csv", String(repeating: "a\n", count: i + 1))
            let identity = try #require(FileIdentity(path: path))
            cache.store(PinnedCSVReader(path: path, identity: identity, delimiter: ",", quote: "", escape: "", newLine: "\\n", comment: "",
                                        skipRows: 0, header: true, columns: [Column(name: "a", type: "VARCHAR")], dateFormat: nil, timestampFormat: nil))
            Thread.sleep(forTimeInterval: 0.02)  // distinct modification times
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.file("few")).filter { $0.hasSuffix(".json") }
        #expect(left.count == 3)
        for i in 2..<5 {
            let path = folder.file("f\(i).csv")
            let identity = try #require(FileIdentity(path: path))
            #expect(cache.reader(for: try Dataset(path: path), identity: identity) != nil)
        }
    }
}
