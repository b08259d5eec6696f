import Foundation

/// Finds the first thing wrong with a CSV or TSV file (RFC 4180 quoting), to say where DuckDB's
/// reader gave up: a record with more or fewer fields than the header, a quoted field that never
/// ends, text that is not UTF-8. It reads the file in 256 KiB pieces, once; it runs only after
/// DuckDB has failed, so a good file costs nothing.
enum CSVCheck {
    /// "line N: what" for the first problem, or nil when the file looks well-formed.
    static func firstProblem(path: String, delimiter: UInt8) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "it cannot be opened" }
        defer { try? handle.close() }
        var line = 1, recordLine = 1
        var fields = 1
        var expected: Int?
        var inQuotes = false, quoteJustClosed = false, atFieldStart = true
        var recordBytes: [UInt8] = []

        func endRecord() -> String? {
            defer { fields = 1; recordBytes.removeAll(keepingCapacity: true); atFieldStart = true; recordLine = line }
            if recordBytes.isEmpty { return nil }  // a blank line
            if String(validating: recordBytes, as: UTF8.self) == nil { return "line \(recordLine): the text is not UTF-8 (save the file as UTF-8)" }
            guard let n = expected else { expected = fields; return nil }
            if fields != n {
                return "line \(recordLine): \(fields) field\(fields == 1 ? "" : "s") where the header has \(n) (a missing or extra delimiter, or an unquoted delimiter inside a value)"
            }
            return nil
        }

        while let piece = try? handle.read(upToCount: 256 << 10), !piece.isEmpty {
            for b in piece {
                if inQuotes {
                    if b == 0x22 { inQuotes = false; quoteJustClosed = true; recordBytes.append(b); continue }
                    if b == 0x0A { line += 1 }
                    recordBytes.append(b)
                    continue
                }
                switch b {
                case 0x22:
                    if quoteJustClosed { inQuotes = true; quoteJustClosed = false }  // "" inside a quoted field
                    else if atFieldStart { inQuotes = true }
                    else { return "line \(line): a quote inside an unquoted field (quote the whole field, and double the quotes inside it)" }
                    atFieldStart = false
                    recordBytes.append(b)
                case delimiter:
                    fields += 1
                    atFieldStart = true
                    quoteJustClosed = false
                    recordBytes.append(b)
                case 0x0A:
                    line += 1
                    quoteJustClosed = false
                    if let problem = endRecord() { return problem }
                case 0x0D:
                    break
                default:
                    if quoteJustClosed { return "line \(line): text after a closing quote (double a quote inside a quoted field)" }
                    atFieldStart = false
                    recordBytes.append(b)
                }
            }
        }
        if inQuotes { return "line \(recordLine): a quoted field that never ends (a missing closing quote)" }
        return endRecord()
    }
}
