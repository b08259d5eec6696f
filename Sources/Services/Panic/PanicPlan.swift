/// What a panic wipe destroys and in what order, decided from a listing of the data folder
/// alone (no IO here, so the order is tested without touching a disk).
///
/// The rules it keeps:
/// - Keys come first: every key file is shredded (overwritten, synced, unlinked) and the
///   database's sealed person keys are zeroed before any other file is touched, because the
///   keys are what lets a captured copy act as this node or its persons; the rest only matters
///   once they are gone.
/// - Among the keys, the node's identity goes first, then the login-signing key, then the
///   operator token, then any other `*.key` file (sorted by name, so a run is repeatable).
/// - Then the database (its `-wal` and `-shm` before the main file: they hold the newest pages),
///   then `data-engine/`, then every remaining entry by name, then the folder itself.
/// - An entry the listing does not name is not planned: the shell wipes what it saw.
public struct PanicPlan: Equatable, Sendable {
    /// One thing to do to one entry of the folder (names are relative to the folder).
    public enum Step: Equatable, Sendable {
        /// Overwrite with random bytes, fsync, unlink.
        case shred(String)
        /// Zero the sealed person keys (`accounts.keys_box`, `keys_salt`, `keys_nonce`) of this database.
        case zeroSealedKeys(String)
        /// Unlink a file, or remove a folder with everything in it.
        case remove(String)
        /// Remove the data folder itself (last; it is empty by then).
        case removeFolder
    }

    /// An entry at the top of the data folder.
    public struct Entry: Equatable, Sendable {
        public var name: String
        /// A real folder (a link to one is not: it is removed as a link).
        public var isFolder: Bool
        public init(_ name: String, isFolder: Bool = false) {
            self.name = name
            self.isFolder = isFolder
        }
    }

    /// The key files a node writes, most valuable first (see README, "A node's data folder").
    public static let knownKeyFiles = ["identity.key", "jwt-signing.key", "api-token"]
    /// The node's database: its sealed person keys are zeroed with the keys, the file goes after.
    public static let databaseFile = "elohim.sqlite"
    /// The data engine's datasets: the first folder to go after the database.
    public static let dataEngineFolder = "data-engine"

    /// Done before "keys gone" is reported.
    public var keys: [Step]
    /// Done after.
    public var rest: [Step]

    /// The plan for a folder holding `entries` (its top level, as listed).
    public init(entries: [Entry]) {
        let files = Set(entries.filter { !$0.isFolder }.map(\.name))
        let folders = Set(entries.filter(\.isFolder).map(\.name))
        let otherKeys = files.filter { $0.hasSuffix(".key") && !Self.knownKeyFiles.contains($0) }.sorted()
        let keyFiles = Self.knownKeyFiles.filter(files.contains) + otherKeys
        keys = keyFiles.map(Step.shred)
        if files.contains(Self.databaseFile) { keys.append(.zeroSealedKeys(Self.databaseFile)) }

        let database = ["-wal", "-shm", ""].map { Self.databaseFile + $0 }.filter(files.contains)
        let engine = folders.contains(Self.dataEngineFolder) ? [Self.dataEngineFolder] : []
        let done = Set(keyFiles + database + engine)
        let remaining = entries.map(\.name).filter { !done.contains($0) }.sorted()
        rest = (database + engine + remaining).map(Step.remove) + [.removeFolder]
    }
}
