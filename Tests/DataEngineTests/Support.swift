import Foundation
@testable import DataEngine

/// A temporary folder for one test, removed when the value goes away.
final class TempFolder: @unchecked Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-data-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the folder; its path.
    @discardableResult func write(_ name: String, _ text: String) -> String {
        write(name, bytes: Array(text.utf8))
    }

    @discardableResult func write(_ name: String, bytes: [UInt8]) -> String {
        let p = (path as NSString).appendingPathComponent(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

enum Support {
    /// The checkout (for its .venv).
    static let checkout: String = {
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The venv's python, where `make venv` put openpyxl.
    static var python: String { checkout + "/.venv/bin/python" }

    /// An engine over a fresh scratch folder (DuckDB from the checkout's .venv).
    static func engine(_ folder: TempFolder, limits: SQLEngine.Limits = .init()) throws -> SQLEngine {
        let scratch = folder.file("engine")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        return SQLEngine(install: try DuckDBInstall.locate(), folder: scratch, limits: limits)
    }

    /// Runs the venv's python with `script`; its standard output. Fails the test on a non-zero exit.
    static func python(_ script: String, arguments: [String] = []) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw SupportError.python(String(decoding: errData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every sheet of an .xlsx file as openpyxl reads it: sheet name → rows of cells, each cell
    /// as JSON (numbers, strings, booleans, null).
    static func readXLSX(_ path: String) throws -> [String: [[JSONValue]]] {
        let script = """
        import json, sys, openpyxl
        wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
        out = {}
        for ws in wb.worksheets:
            out[ws.title] = [[c for c in row] for row in ws.iter_rows(values_only=True)]
        print(json.dumps(out))
        """
        let text = try python(script, arguments: [path])
        guard case let .object(sheets) = try JSONReader(bytes: Array(text.utf8)).readValue() else { throw SupportError.python("not an object") }
        var result: [String: [[JSONValue]]] = [:]
        for s in sheets {
            guard case let .array(rows) = s.value else { continue }
            result[s.key] = rows.map { if case let .array(cells) = $0 { cells } else { [] } }
        }
        return result
    }

    /// The sheet names of an .xlsx file in order.
    static func sheetNames(_ path: String) throws -> [String] {
        let text = try python("import json, sys, openpyxl\nprint(json.dumps(openpyxl.load_workbook(sys.argv[1], read_only=True).sheetnames))", arguments: [path])
        guard case let .array(items) = try JSONReader(bytes: Array(text.utf8)).readValue() else { return [] }
        return items.compactMap { if case let .string(s) = $0 { s } else { nil } }
    }
}

enum SupportError: Error { case python(String) }

extension JSONValue {
    static func n(_ v: Int) -> JSONValue { .number(String(v)) }
    static func s(_ v: String) -> JSONValue { .string(v) }
}
