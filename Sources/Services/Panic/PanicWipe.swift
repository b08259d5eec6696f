import Foundation
import GRDB
import Sodium
#if canImport(Glibc)
import Glibc
#endif

/// Destroys a node's data folder, keys first: the IO half of a panic wipe (`PanicPlan` decides
/// what goes in which order; this only does it and times it).
///
/// The rules it keeps:
/// - It never stops at a step that fails: each failure is written down in the report and the
///   next step runs, because a wipe that gives up half-way leaves more behind than one that
///   carries on.
/// - "Keys gone" is stamped only after every key file is overwritten, synced and unlinked, the
///   unlinks are synced (the folder is fsynced), and the sealed person keys are zeroed.
/// - It does not log: the log may be a file, and a line written after the wipe would outlive
///   it. Callers log before they call it.
/// - What it cannot promise: flash storage (wear levelling) and filesystem journals or
///   copy-on-write filesystems can keep old copies of a block that was overwritten; only
///   full-disk encryption whose key is destroyed guarantees nothing can be read back. The data
///   after the keys is unlinked, not overwritten, so that the wipe stays fast.
public struct PanicWipe: Sendable {
    /// The word a person types (or a request carries) to confirm a wipe, exactly.
    public static let confirmWord = "WIPE"

    /// The data folder (absolute or relative to the working directory).
    public let folder: String

    /// A wipe of `folder`; nothing happens until `run` or `destroyKeys`.
    public init(folder: String) { self.folder = folder }

    /// What a wipe did, with its two instants measured from its start.
    public struct Report: Codable, Sendable, Equatable {
        /// Milliseconds from the start until every key was gone.
        public var keysGoneMs: Double = 0
        /// Milliseconds from the start until the folder was gone (nil until then).
        public var allGoneMs: Double?
        /// The key files shredded.
        public var shredded: [String] = []
        /// Accounts whose sealed person keys were zeroed in the database.
        public var sealedKeysZeroed = 0
        /// Entries removed after the keys (the folder itself is not listed).
        public var removed: [String] = []
        /// What could not be done, each naming the entry and why; empty when all went to plan.
        public var problems: [String] = []
    }

    /// Wipes the keys, then the rest, then the folder.
    public func run() throws(PanicError) -> Report {
        let start = ContinuousClock.now
        let (plan, report) = try destroyKeys(start: start)
        return destroyRest(plan, after: report, start: start)
    }

    /// Phase one: lists the folder, plans, and destroys the keys. Throws only when there is no
    /// folder to wipe; returns the plan whose `rest` is still to do.
    public func destroyKeys(start: ContinuousClock.Instant = .now) throws(PanicError) -> (PanicPlan, Report) {
        let plan = PanicPlan(entries: try list())
        var report = Report()
        for step in plan.keys { perform(step, into: &report) }
        // The unlinks themselves must reach the disk before we say the keys are gone.
        syncFolder(into: &report)
        report.keysGoneMs = Self.milliseconds(since: start)
        return (plan, report)
    }

    /// Phase two: everything after the keys, then the folder itself.
    public func destroyRest(_ plan: PanicPlan, after keys: Report, start: ContinuousClock.Instant) -> Report {
        var report = keys
        for step in plan.rest { perform(step, into: &report) }
        if !FileManager.default.fileExists(atPath: folder) { report.allGoneMs = Self.milliseconds(since: start) }
        return report
    }

    private func list() throws(PanicError) -> [PanicPlan.Entry] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else { throw .noFolder(folder) }
        guard isFolder.boolValue else { throw .notAFolder(folder) }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw .cannotList(folder, reason: error.localizedDescription)
        }
        return names.map { name in
            // lstat, not stat: a link to a folder elsewhere is removed as a link, never followed.
            var info = stat()
            let isDir = lstat(path(name), &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            return PanicPlan.Entry(name, isFolder: isDir)
        }
    }

    private func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    private func perform(_ step: PanicPlan.Step, into report: inout Report) {
        switch step {
        case let .shred(name):
            if let why = Self.shred(path(name)) { report.problems.append("\(name): \(why)") } else { report.shredded.append(name) }
        case let .zeroSealedKeys(name):
            do { report.sealedKeysZeroed = try Self.zeroSealedKeys(database: path(name)) } catch {
                report.problems.append("\(name): the sealed person keys could not be zeroed (\(error)); the file is still removed")
            }
        case let .remove(name):
            do {
                try FileManager.default.removeItem(atPath: path(name))
                report.removed.append(name)
            } catch {
                // Gone already (the node removed node.json as it stopped) is what we wanted.
                if FileManager.default.fileExists(atPath: path(name)) { report.problems.append("\(name): \(error.localizedDescription)") }
            }
        case .removeFolder:
            // Recursive on purpose: a running node may have made a file since the listing
            // (a scratch file, a new -wal), and the folder must go all the same.
            do { try FileManager.default.removeItem(atPath: folder) } catch {
                if FileManager.default.fileExists(atPath: folder) { report.problems.append("\(folder): \(error.localizedDescription)") }
            }
        }
    }

    /// Overwrites a regular file with random bytes, syncs, unlinks. Nil when done; else why not.
    static func shred(_ path: String) -> String? {
        // O_NOFOLLOW: a key "file" that is a link is unlinked but whatever it points at is not ours to overwrite.
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { return "cannot stat (\(String(cString: strerror(errno))))" }
            var offset = 0
            let size = Int(info.st_size)
            while offset < size {
                let chunk = Sodium.randomBytes(count: min(64 * 1024, size - offset))
                let n = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, chunk.count, off_t(offset)) }
                guard n > 0 else { return "cannot overwrite (\(String(cString: strerror(errno))))" }
                offset += n
            }
            guard fsync(fd) == 0 else { return "cannot sync the overwrite (\(String(cString: strerror(errno))))" }
        } else if errno != ELOOP {
            return "cannot open to overwrite (\(String(cString: strerror(errno))))"
        }
        guard unlink(path) == 0 else { return "cannot unlink (\(String(cString: strerror(errno))))" }
        return nil
    }

    /// Zeroes `keys_box`, `keys_salt` and `keys_nonce` of every account in one transaction, with
    /// `secure_delete` so SQLite zeroes freed space too, then checkpoints the WAL into the main
    /// file so the old pages there are overwritten (best effort: a reader of the running node
    /// can hold the checkpoint back; the file is unlinked next anyway). Returns the accounts zeroed.
    static func zeroSealedKeys(database: String) throws -> Int {
        var configuration = Configuration()
        configuration.busyMode = .timeout(2)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let queue = try DatabaseQueue(path: database, configuration: configuration)
        let zeroed = try queue.write { db -> Int in
            guard try db.tableExists("accounts") else { return 0 }
            let columns = try db.columns(in: "accounts").map(\.name)
            let sealed = ["keys_box", "keys_salt", "keys_nonce"].filter(columns.contains)
            guard !sealed.isEmpty else { return 0 }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts WHERE keys_box IS NOT NULL") ?? 0
            for column in sealed {
                // The same length, so SQLite rewrites the cell where it was rather than moving it.
                try db.execute(sql: "UPDATE accounts SET \(column) = zeroblob(length(\(column))) WHERE \(column) IS NOT NULL")
            }
            return count
        }
        _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        return zeroed
    }

    private func syncFolder(into report: inout Report) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { report.problems.append("\(folder): cannot open to sync the unlinks (\(String(cString: strerror(errno))))"); return }
        if fsync(fd) != 0 { report.problems.append("\(folder): cannot sync the unlinks (\(String(cString: strerror(errno))))") }
        close(fd)
    }

    /// Milliseconds since `start`, to a tenth.
    public static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = (ContinuousClock.now - start).components
        return ((Double(d.seconds) * 1000 + Double(d.attoseconds) / 1e15) * 10).rounded() / 10
    }
}

/// Why a panic wipe could not start; each message says what to do.
public enum PanicError: Error, Equatable, CustomStringConvertible {
    case noFolder(String)
    case notAFolder(String)
    case cannotList(String, reason: String)

    public var description: String {
        switch self {
        case let .noFolder(path): "there is no data folder at \(path): nothing to wipe (check --data-dir)"
        case let .notAFolder(path): "\(path) is not a folder: give the node's data folder with --data-dir"
        case let .cannotList(path, reason): "cannot list \(path) (\(reason)): run as the user that owns the node's folder"
        }
    }
}
