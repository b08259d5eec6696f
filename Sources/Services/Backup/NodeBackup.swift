import Crypto
import Foundation
import GRDB
import MeshNode
import Sodium
import Wire

/// A node's data folder sealed into one file, and back (`elohim backup create|restore|show`).
///
/// What a backup holds: the identity key, the operator and token keys, and a consistent copy of
/// the database (SQLite's online backup, taken in one read transaction, so a node may keep
/// writing while it runs: the copy is the database as of one commit). Vault chunks live in the
/// database, so they are in it too.
///
/// The file (a local format, not part of the mesh protocol): `ELOHIM-BACKUP-1\n`, a 16-byte salt, the Argon2id cost
/// (operations and memory, 8 bytes each, big-endian), libsodium's secretstream header, then
/// messages, each a 4-byte big-endian length and a sealed message: first the manifest (JSON),
/// then each file's bytes in order, in messages of at most 1 MiB; the last message carries the
/// stream's `final` tag. The key is Argon2id of the passphrase (libsodium's "moderate" cost).
/// A wrong passphrase, an altered byte, a reordered or a missing message are all refused.
public enum NodeBackup {
    static let magic = Array("ELOHIM-BACKUP-1\n".utf8)
    /// Files of the data folder a backup carries besides the database, when present.
    public static let folderFiles = [IdentityFile.fileName, NodeServices.operatorTokenFileName, TokenIssuer.keyFileName]
    static let messageBytes = 1 << 20
    /// Largest sealed message a reader accepts (a damaged length is not an allocation).
    static let maxSealedMessage = messageBytes + 64 * 1024

    /// What a backup says it holds.
    public struct Manifest: Codable, Sendable, Equatable {
        public struct File: Codable, Sendable, Equatable {
            public var name: String
            public var size: UInt64
            public var sha256: String
        }

        /// What the database held, for people deciding which backup to restore.
        public struct Summary: Codable, Sendable, Equatable {
            public var teams: Int
            public var ops: Int
            public var vaultChunks: Int
            public var accounts: Int
            public var auditEntries: Int
        }

        public var format: Int
        public var nodeId: String
        public var createdAtMs: UInt64
        public var files: [File]
        public var summary: Summary
    }

    // MARK: Create

    /// Seals the data folder at `folder` into `output` (written as `output.part`, then renamed;
    /// mode 0600). Refuses an `output` that exists. Works while a node runs on the folder.
    public static func create(folder: URL, output: URL, passphrase: String, cost: PasswordHash.Cost = .moderate,
                              nowMs: UInt64) throws(BackupError) -> Manifest {
        let fm = FileManager.default
        let database = folder.appendingPathComponent(NodeDatabase.fileName)
        guard fm.fileExists(atPath: folder.appendingPathComponent(IdentityFile.fileName).path), fm.fileExists(atPath: database.path) else {
            throw .notADataFolder(folder.path)
        }
        guard !fm.fileExists(atPath: output.path) else { throw .outputExists(output.path) }
        let work = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).db-\(getpid())")
        defer { try? fm.removeItem(at: work) }
        let summary: Manifest.Summary
        do { summary = try snapshot(database, to: work) } catch { throw .io("cannot copy the database \(database.path): \(error)") }

        var sources: [(name: String, url: URL)] = folderFiles.map { ($0, folder.appendingPathComponent($0)) }.filter { fm.fileExists(atPath: $0.1.path) }
        sources.append((NodeDatabase.fileName, work))
        var files: [Manifest.File] = []
        for s in sources {
            guard let digest = try? sha256(of: s.url), let size = (try? fm.attributesOfItem(atPath: s.url.path)[.size] as? UInt64) ?? nil else {
                throw .io("cannot read \(s.url.path)")
            }
            files.append(Manifest.File(name: s.name, size: size, sha256: digest))
        }
        let identity: String
        do {
            guard let pair = try IdentityFile.load(at: folder.appendingPathComponent(IdentityFile.fileName)) else { throw BackupError.notADataFolder(folder.path) }
            identity = NodeID(publicKey: pair.publicKey).description
        } catch { throw error as? BackupError ?? .io("cannot read the identity: \(error)") }
        let manifest = Manifest(format: 1, nodeId: identity, createdAtMs: nowMs, files: files, summary: summary)

        let part = output.appendingPathExtension("part")
        guard fm.createFile(atPath: part.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: part.path) else { throw .io("cannot write \(part.path)") }
        do {
            defer { try? handle.close() }
            let salt = Sodium.randomBytes(count: PasswordHash.saltBytes)
            var key = try PasswordHash.deriveKey(passphrase, salt: salt, cost: cost)
            defer { Sodium.wipe(&key) }
            var sealer = try SecretStream.Sealer(key: key)
            try handle.write(contentsOf: magic + salt + bigEndian(cost.operations) + bigEndian(UInt64(cost.memoryBytes)) + sealer.header)
            func put(_ message: [UInt8], final: Bool) throws {
                let sealed = sealer.seal(message, final: final)
                try handle.write(contentsOf: bigEndian(UInt32(sealed.count)) + sealed)
            }
            try put(Array(try JSONEncoder().encode(manifest)), final: false)
            for (k, s) in sources.enumerated() {
                guard let input = FileHandle(forReadingAtPath: s.url.path) else { throw BackupError.io("cannot read \(s.url.path)") }
                defer { try? input.close() }
                var chunk = try input.read(upToCount: messageBytes).map([UInt8].init) ?? []
                var written: UInt64 = 0
                repeat {
                    let next = try input.read(upToCount: messageBytes).map([UInt8].init) ?? []
                    try put(chunk, final: k == sources.count - 1 && next.isEmpty)
                    written += UInt64(chunk.count)
                    chunk = next
                } while !chunk.isEmpty
                // A file that changed while being read would not match its manifest entry.
                guard written == files[k].size else { throw BackupError.io("\(s.url.path) changed while it was being read; try again") }
            }
            try handle.synchronize()
        } catch {
            try? fm.removeItem(at: part)
            throw error as? BackupError ?? .io("cannot write \(part.path): \(error)")
        }
        do { try fm.moveItem(at: part, to: output) } catch { throw .io("cannot rename \(part.path): \(error)") }
        return manifest
    }

    /// Copies the live database at `source` into `destination` in one read transaction, and
    /// counts what it holds.
    static func snapshot(_ source: URL, to destination: URL) throws -> Manifest.Summary {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let live = try DatabaseQueue(path: source.path, configuration: configuration)
        let copy = try DatabaseQueue(path: destination.path)
        try live.backup(to: copy)
        try live.close()
        let summary = try copy.read { db in
            func count(_ table: String) throws -> Int {
                guard try db.tableExists(table) else { return 0 }
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            return Manifest.Summary(teams: try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT team) FROM ops") ?? 0, ops: try count("ops"),
                                    vaultChunks: try count("vault_chunks"), accounts: try count("accounts"),
                                    auditEntries: try count("audit_log"))
        }
        // One self-contained file: no WAL beside it.
        try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        try copy.close()
        return summary
    }

    // MARK: Read

    /// The manifest of `file` (checks the passphrase, reads nothing else).
    public static func manifest(of file: URL, passphrase: String) throws(BackupError) -> Manifest {
        var reader = try Reader(file: file, passphrase: passphrase)
        return reader.manifest
    }

    /// Restores `file` into the data folder `folder`. Refuses a folder a node runs on (its lock
    /// is held), and one that holds a node already unless `force`, in which case its files are
    /// moved aside as `NAME.before-restore-<ms>` first. Every file is checked against the
    /// manifest (size and SHA-256) before any is put in place.
    public static func restore(file: URL, into folder: URL, passphrase: String, force: Bool, nowMs: UInt64) throws(BackupError) -> Manifest {
        let lock: DataFolder
        do { lock = try DataFolder(path: folder.path) } catch {
            if case .inUse = error { throw .folderInUse(folder.path) }
            throw .io(error.description)
        }
        let fm = FileManager.default
        let present = ([NodeDatabase.fileName] + folderFiles).filter { fm.fileExists(atPath: lock.file($0).path) }
        if !present.isEmpty && !force { throw .folderNotEmpty(folder.path, present) }
        var reader = try Reader(file: file, passphrase: passphrase)
        let manifest = reader.manifest
        var staged: [(name: String, url: URL)] = []
        defer { for s in staged { try? fm.removeItem(at: s.url) } }
        for entry in manifest.files {
            guard folderFiles.contains(entry.name) || entry.name == NodeDatabase.fileName else { throw .damaged("it names an unknown file \(entry.name)") }
            let target = lock.file(".\(entry.name).restoring")
            staged.append((entry.name, target))
            try reader.copy(entry, to: target, last: entry == manifest.files.last)
        }
        try reader.end()
        for name in present {
            let from = lock.file(name)
            do { try fm.moveItem(at: from, to: lock.file("\(name).before-restore-\(nowMs)")) } catch { throw .io("cannot move \(from.path) aside: \(error)") }
        }
        for suffix in ["-wal", "-shm"] {
            let stale = lock.file(NodeDatabase.fileName + suffix)
            if fm.fileExists(atPath: stale.path) { try? fm.moveItem(at: stale, to: lock.file("\(NodeDatabase.fileName)\(suffix).before-restore-\(nowMs)")) }
        }
        for s in staged {
            do { try fm.moveItem(at: s.url, to: lock.file(s.name)) } catch { throw .io("cannot put \(s.name) in place: \(error)") }
        }
        staged.removeAll()
        return manifest
    }

    /// Reads a backup file in order: header, manifest, then each file's messages.
    struct Reader: ~Copyable {
        let handle: FileHandle
        var opener: SecretStream.Opener
        let manifest: Manifest
        var sawFinal = false

        init(file: URL, passphrase: String) throws(BackupError) {
            guard let handle = FileHandle(forReadingAtPath: file.path) else { throw .io("cannot read \(file.path)") }
            var opener = try Self.opener(handle, file: file, passphrase: passphrase)
            guard let first = try Self.next(handle, &opener) else { throw .damaged("it ends before its manifest") }
            guard !first.final, let m = try? JSONDecoder().decode(Manifest.self, from: Data(first.message)), m.format == 1 else {
                throw .damaged("its manifest cannot be read")
            }
            self.handle = handle
            self.opener = opener
            manifest = m
        }

        /// Reads the header and derives the key.
        private static func opener(_ handle: FileHandle, file: URL, passphrase: String) throws(BackupError) -> SecretStream.Opener {
            let head = Self.read(handle, magic.count + PasswordHash.saltBytes + 16 + SecretStream.headerBytes)
            guard head.count == magic.count + PasswordHash.saltBytes + 16 + SecretStream.headerBytes,
                  Array(head.prefix(magic.count)) == magic else { throw .notABackup(file.path) }
            var at = magic.count
            let salt = Array(head[at..<at + PasswordHash.saltBytes]); at += PasswordHash.saltBytes
            let ops = Self.number(head[at..<at + 8]); at += 8
            let mem = Self.number(head[at..<at + 8]); at += 8
            let header = Array(head[at...])
            // A damaged or hostile header must not make this machine spend more than "sensitive".
            guard ops <= 16, mem <= 1 << 30 else { throw .damaged("its key cost is beyond any this program writes") }
            var key: [UInt8]
            do { key = try PasswordHash.deriveKey(passphrase, salt: salt, cost: .init(operations: ops, memoryBytes: Int(mem))) }
            catch { throw .io("cannot derive the key: \(error)") }
            defer { Sodium.wipe(&key) }
            do { return try SecretStream.Opener(key: key, header: header) } catch { throw .damaged("\(error)") }
        }

        /// Writes `entry`'s bytes to `target`, checking size and hash.
        mutating func copy(_ entry: Manifest.File, to target: URL, last: Bool) throws(BackupError) {
            let fm = FileManager.default
            try? fm.removeItem(at: target)
            guard fm.createFile(atPath: target.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let out = FileHandle(forWritingAtPath: target.path) else { throw .io("cannot write \(target.path)") }
            defer { try? out.close() }
            var hasher = SHA256()
            var written: UInt64 = 0
            repeat {
                guard let (message, final) = try Self.next(handle, &opener) else { throw .damaged("it ends in the middle of \(entry.name) (cut short)") }
                hasher.update(data: message)
                do { try out.write(contentsOf: message) } catch { throw .io("cannot write \(target.path): \(error)") }
                written += UInt64(message.count)
                guard written <= entry.size else { throw .damaged("\(entry.name) is longer than its manifest says") }
                if final {
                    guard last && written == entry.size else { throw .damaged("it ends early, in \(entry.name)") }
                    sawFinal = true
                }
            } while written < entry.size
            guard hasher.finalize().map({ String(format: "%02x", $0) }).joined() == entry.sha256 else {
                throw .damaged("\(entry.name) does not match its SHA-256")
            }
            do { try out.synchronize() } catch { throw .io("cannot write \(target.path): \(error)") }
        }

        /// Checks that the stream ended where the manifest says, with nothing after it.
        mutating func end() throws(BackupError) {
            guard sawFinal else { throw .damaged("it has no end mark (cut short)") }
            guard Self.read(handle, 1).isEmpty else { throw .damaged("it has bytes after its end") }
        }

        static func next(_ handle: FileHandle, _ opener: inout SecretStream.Opener) throws(BackupError) -> (message: [UInt8], final: Bool)? {
            let length = read(handle, 4)
            if length.isEmpty { return nil }
            guard length.count == 4 else { throw .damaged("a message length is cut short") }
            let n = Int(number(length[...]))
            guard n <= maxSealedMessage else { throw .damaged("a message claims \(n) bytes") }
            let sealed = read(handle, n)
            guard sealed.count == n else { throw .damaged("a message is cut short") }
            do { return try opener.open(sealed) } catch { throw .wrongPassphraseOrDamaged }
        }

        static func read(_ handle: FileHandle, _ count: Int) -> [UInt8] {
            var out: [UInt8] = []
            while out.count < count, let d = try? handle.read(upToCount: count - out.count), !d.isEmpty { out += d }
            return out
        }

        static func number(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

        deinit { try? handle.close() }
    }

    static func bigEndian<T: FixedWidthInteger>(_ n: T) -> [UInt8] { withUnsafeBytes(of: n.bigEndian, Array.init) }

    static func sha256(of url: URL) throws -> String {
        guard let h = FileHandle(forReadingAtPath: url.path) else { throw BackupError.io("cannot read \(url.path)") }
        defer { try? h.close() }
        var hasher = SHA256()
        while let d = try h.read(upToCount: messageBytes), !d.isEmpty { hasher.update(data: d) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a backup could not be made, read or restored; each says what to do.
public enum BackupError: Error, Equatable, CustomStringConvertible {
    case notADataFolder(String)
    case outputExists(String)
    case notABackup(String)
    case wrongPassphraseOrDamaged
    case damaged(String)
    case folderInUse(String)
    case folderNotEmpty(String, [String])
    case io(String)

    public var description: String {
        switch self {
        case let .notADataFolder(p): "\(p) is not a node's data folder (no identity.key and elohim.sqlite): check --data-dir"
        case let .outputExists(p): "\(p) exists: give a new file name (a backup never overwrites a file)"
        case let .notABackup(p): "\(p) is not an ElohimOS backup (it does not start with ELOHIM-BACKUP-1)"
        case .wrongPassphraseOrDamaged: "the backup does not open: a wrong passphrase, or the file was altered"
        case let .damaged(why): "the backup is damaged: \(why); nothing was restored"
        case let .folderInUse(p): "a node is running on \(p): stop it first (a restore never replaces a running node's data)"
        case let .folderNotEmpty(p, files):
            "\(p) already holds a node (\(files.joined(separator: ", "))): restore into an empty folder, or pass --force to move those files aside first"
        case let .io(why): why
        }
    }
}
