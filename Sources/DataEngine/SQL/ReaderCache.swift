import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder of `PinnedCSVReader`s, one file per file version (named by its `FileIdentity`).
///
/// Rules it keeps: an entry is used only when its path and identity are exactly the dataset's
/// now (a file written again, moved or replaced is sniffed again); an entry that does not decode
/// is ignored and overwritten; an entry made by another DuckDB version is not used; at most `maxEntries` are kept, the least recently written going
/// first. Losing the folder loses nothing but time.
public struct ReaderCache: Sendable {
    public let folder: String
    public var maxEntries: Int

    public init(folder: String, maxEntries: Int = 1_000) {
        self.folder = folder
        self.maxEntries = maxEntries
    }

    /// The cache a command-line user gets: `$XDG_CACHE_HOME/elohim/data-readers`, else
    /// `~/.cache/elohim/data-readers`; nil when neither is known.
    public static func forUser(environment: [String: String] = ProcessInfo.processInfo.environment) -> ReaderCache? {
        let base: String
        if let x = environment["XDG_CACHE_HOME"], x.hasPrefix("/") { base = x }
        else if let home = environment["HOME"], home.hasPrefix("/") { base = (home as NSString).appendingPathComponent(".cache") }
        else { return nil }
        return ReaderCache(folder: (base as NSString).appendingPathComponent("elohim/data-readers"))
    }

    /// The pinned reader for `dataset` as it is now, or nil.
    func reader(for dataset: Dataset, identity: FileIdentity) -> PinnedCSVReader? {
        guard let data = FileManager.default.contents(atPath: entryPath(identity)),
              let pinned = try? JSONDecoder().decode(PinnedCSVReader.self, from: data),
              pinned.path == dataset.path, pinned.identity == identity else { return nil }
        return pinned
    }

    /// Writes `pinned` down (atomically: a reader never sees half an entry). Failures are
    /// silent: the cache is an optimisation.
    func store(_ pinned: PinnedCSVReader) {
        let fm = FileManager.default
        guard (try? fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])) != nil,
              let data = try? JSONEncoder().encode(pinned) else { return }
        let path = entryPath(pinned.identity)
        let temporary = path + ".\(UUID().uuidString).tmp"
        guard fm.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, path) != 0 { try? fm.removeItem(atPath: temporary); return }
        prune()
    }

    /// An entry is named by the file version and the DuckDB version that sniffed it: another
    /// DuckDB may read a file differently, so its pins are not reused after an upgrade.
    private func entryPath(_ identity: FileIdentity) -> String {
        (folder as NSString).appendingPathComponent("\(identity.key)-duckdb-\(DuckDBInstall.pinnedVersion).json")
    }

    /// Keeps the newest `maxEntries` entries.
    private func prune() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder), names.count > maxEntries else { return }
        var dated: [(path: String, written: Int64)] = []
        for name in names where name.hasSuffix(".json") {
            let p = (folder as NSString).appendingPathComponent(name)
            if let identity = FileIdentity(path: p) { dated.append((p, identity.modifiedNanoseconds)) }
        }
        dated.sort { a, b in a.written != b.written ? a.written < b.written : a.path < b.path }
        for entry in dated.prefix(max(0, dated.count - maxEntries)) { try? fm.removeItem(atPath: entry.path) }
    }
}
