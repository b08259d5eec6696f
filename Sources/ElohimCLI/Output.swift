import Foundation

/// Unbuffered writes to stdout and stderr: a banner or error must reach a pipe at once,
/// even when the process is killed a moment later.
enum FileHandleOutput {
    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Listings as a person reads them (aligned columns) or as a script reads them (`--json`).
enum Listing {
    /// Prints `rows` under `header`, each column as wide as its widest cell.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        var text = ""
        for row in all {
            let cells = row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
            text += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        FileHandleOutput.standardOutput(text)
    }

    /// The node's JSON answer as it came, indented with sorted keys (stable for scripts and diffs).
    static func json(_ bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else {
            FileHandleOutput.standardOutput(String(decoding: bytes, as: UTF8.self) + "\n")
            return
        }
        FileHandleOutput.standardOutput(String(decoding: pretty, as: UTF8.self) + "\n")
    }

    /// A node or team ID cut to something a person can compare at a glance.
    static func short(_ id: String) -> String { id.count > 12 ? String(id.prefix(12)) + "…" : id }
}
