import Foundation

/// File names for what comes out of a vault.
enum VaultFileName {
    /// Longest name written, in bytes (most file systems allow 255).
    static let maxBytes = 200

    /// A name to write `name` (as stored in a vault entry, so possibly hostile) under in the
    /// current folder: no folder parts, no `.` or `..`, no control characters, at most
    /// `maxBytes`; when nothing usable is left, `vault-file-<blob prefix>`.
    static func local(_ name: String, blob: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var clean = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        while clean.utf8.count > maxBytes { clean.removeFirst() }
        clean = clean.trimmingCharacters(in: .whitespaces)
        if clean.isEmpty || clean.allSatisfy({ $0 == "." }) { return "vault-file-\(blob.prefix(12))" }
        return clean
    }
}
