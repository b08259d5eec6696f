import Foundation
import Sodium
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// The node's Ed25519 identity, kept in `identity.key` inside the data folder (mode 0600).
///
/// Format (PROTOCOL.md section 2), text so that a person can see what it is:
/// ```
/// # ElohimOS node identity. ...
/// version: 1
/// seed: <64 hex digits: the Ed25519 secret seed>
/// public-key: <64 hex digits>
/// ```
/// Loading checks that the public key follows from the seed, so a file damaged anywhere is
/// refused rather than turned into a different identity.
public enum IdentityFile {
    public static let fileName = "identity.key"

    /// Loads the identity, or makes one when the file does not exist yet.
    /// - Returns: the key pair and whether it was created now.
    public static func loadOrCreate(at url: URL) throws(IdentityError) -> (keyPair: Ed25519KeyPair, created: Bool) {
        if let existing = try load(at: url) { return (existing, false) }
        let pair = Ed25519KeyPair.generate()
        if try create(pair, at: url) { return (pair, true) }
        // Another process created it between our look and our write: use theirs.
        guard let theirs = try load(at: url) else { throw .unreadable(url.path, reason: "vanished after creation") }
        return (theirs, false)
    }

    /// Loads the identity; nil when the file does not exist.
    public static func load(at url: URL) throws(IdentityError) -> Ed25519KeyPair? {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .unreadable(url.path, reason: String(cString: strerror(errno)))
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else { throw .readableByOthers(url.path, mode: mode) }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .corrupt(url.path, reason: "not UTF-8 text")
        }
        return try parse(text, path: url.path)
    }

    static func parse(_ text: String, path: String) throws(IdentityError) -> Ed25519KeyPair {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw .corrupt(path, reason: "line '\(trimmed.prefix(20))…' is not 'name: value'")
            }
            fields[String(trimmed[..<colon])] = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard fields["version"] == "1" else { throw .corrupt(path, reason: "missing or unknown 'version' (expected 1)") }
        guard let seedHex = fields["seed"], let seed = Hex.decode(seedHex), let pair = Ed25519KeyPair(seed: seed) else {
            throw .corrupt(path, reason: "'seed' is not 64 hex digits")
        }
        guard let pkHex = fields["public-key"], let pk = Hex.decode(pkHex), pk == pair.publicKey.bytes else {
            throw .corrupt(path, reason: "'public-key' does not match the seed")
        }
        return pair
    }

    static func render(_ pair: Ed25519KeyPair) -> String {
        """
        # ElohimOS node identity. Secret: keep this file private (mode 0600) and never share it.
        # Node ID: \(NodeID(publicKey: pair.publicKey))
        # Losing this file gives the node a new ID; copying it gives two machines one ID.
        version: 1
        seed: \(Hex.encode(pair.seed))
        public-key: \(Hex.encode(pair.publicKey.bytes))

        """
    }

    /// Writes the file atomically and never over an existing one: the bytes go to a temporary
    /// file (0600, fsynced), which is then hard-linked to the final name. Returns false when the
    /// final name already exists.
    private static func create(_ pair: Ed25519KeyPair, at url: URL) throws(IdentityError) -> Bool {
        let temp = url.path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unwritable(url.path, reason: String(cString: strerror(errno))) }
        defer { unlink(temp) }
        let bytes = Array(render(pair).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else { throw .unwritable(url.path, reason: "short write") }
        if link(temp, url.path) != 0 {
            if errno == EEXIST { return false }
            throw .unwritable(url.path, reason: String(cString: strerror(errno)))
        }
        return true
    }
}

/// Why the identity could not be loaded or made. Each message names the file and what to do.
public enum IdentityError: Error, Equatable, CustomStringConvertible {
    case readableByOthers(String, mode: mode_t)
    case corrupt(String, reason: String)
    case unreadable(String, reason: String)
    case unwritable(String, reason: String)

    public var description: String {
        switch self {
        case let .readableByOthers(path, mode):
            return "identity file \(path) has mode \(String(mode, radix: 8)) and can be read by other users. "
                + "Run `chmod 600 \(path)` and start the node again."
        case let .corrupt(path, reason):
            return "identity file \(path) is damaged: \(reason). Restore it from a backup; or move it away "
                + "to start as a new node with a new ID (peers will not recognise it)."
        case let .unreadable(path, reason):
            return "cannot read identity file \(path): \(reason)."
        case let .unwritable(path, reason):
            return "cannot write identity file \(path): \(reason). Check that the data folder is writable."
        }
    }
}
