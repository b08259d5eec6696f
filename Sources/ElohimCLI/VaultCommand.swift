import ArgumentParser
import Foundation
import HTTPAPI
import Replicas
import Services
#if canImport(Glibc)
import Glibc
#endif

/// `elohim vault put|get|ls`: files sealed on this machine (vault format v2; v1 still opens) before the node
/// sees them; the node stores ciphertext only.
struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Put, get and list files in a team's encrypted vault.",
        discussion: """
        Files are sealed here, with a key made from your passphrase (PBKDF2-HMAC-SHA256, 600,000 \
        rounds; AES-256-GCM per 512 KiB chunk, deflated first: vault format v2, which the web page \
        reads and writes too), and only then sent to the node. The \
        node never sees a name, a size or a byte in clear.

        A second passphrase opens a second vault in the same team; the node's storage does not \
        tell how many there are. A forgotten passphrase cannot be recovered.

        The passphrase comes from --passphrase-file, else $ELOHIM_VAULT_PASSPHRASE, else a prompt.
        """,
        subcommands: [VaultPutCommand.self, VaultGetCommand.self, VaultListCommand.self]
    )
}

struct VaultOptions: ParsableArguments {
    @OptionGroup var api: APIOptions

    @Option(help: ArgumentHelp("The team whose vault to use (its 64-hex-digit ID).", valueName: "team-id"))
    var team: String

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file (its first line).", valueName: "path"))
    var passphraseFile: String?

    func validate() throws {
        guard OpID(hex: team) != nil else { throw ValidationError("--team must be a team ID of 64 hex digits; got '\(team)'") }
    }

    var teamID: TeamID { OpID(hex: team)! }

    func passphrase() throws -> String {
        var text: String?
        if let passphraseFile {
            guard let data = FileManager.default.contents(atPath: passphraseFile) else { throw fail("cannot read --passphrase-file \(passphraseFile)") }
            text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        } else if let env = ProcessInfo.processInfo.environment["ELOHIM_VAULT_PASSPHRASE"] {
            text = env
        } else if let p = getpass("Vault passphrase: ") {
            text = String(cString: p)
        }
        guard let text, text.count >= 8 else { throw fail("the vault passphrase must be at least 8 characters") }
        return text
    }

    func keys() throws -> VaultFormat.Keys {
        try VaultFormat.keys(passphrase: try passphrase(), team: teamID)
    }

    var base: String { "api/v1/teams/\(team.lowercased())/vault" }

    /// The files of this vault (those whose entry opens under these keys).
    func files(_ client: APIClient, keys: VaultFormat.Keys) async throws -> [(VaultFileView, VaultFormat.Entry)] {
        let all: VaultFileList
        do { all = try await client.get(base + "/files") } catch { throw fail(error) }
        return all.files.compactMap { f in VaultFormat.openEntry(f.name, keys: keys).map { (f, $0) } }
    }
}

/// A one-line progress bar on standard error, redrawn in place when it is a terminal.
struct Progress {
    let total: UInt64
    let label: String
    let terminal = isatty(2) == 1

    func show(_ done: UInt64) {
        guard terminal, total > 0 else { return }
        let width = 30, filled = Int(Double(width) * Double(done) / Double(total))
        FileHandleOutput.standardError("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
                                       + "\(done * 100 / total)% of \(Self.size(total))")
    }

    func finish() { if terminal { FileHandleOutput.standardError("\n") } }

    static func size(_ n: UInt64) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / 1_048_576) : n >= 1024 ? String(format: "%.1f KiB", Double(n) / 1024) : "\(n) B"
    }
}

struct VaultPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Seal a file here and store it in the team's vault.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file to store.") var file: String
    @Option(help: "The name to store it under (default: the file's name).") var name: String?

    struct ChunkAnswer: Decodable { let id: String }

    func run() async throws {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw fail("cannot read \(file): check the path and its permissions") }
        defer { try? handle.close() }
        let total = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0
        let keys = try options.keys()
        let client = try options.api.client()
        let fileID = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let progress = Progress(total: total, label: "sealing and sending")
        var ids: [String] = []
        var sent: UInt64 = 0
        // Read one chunk ahead: a chunk's associated data says whether it is the last.
        var current = try handle.read(upToCount: VaultFormat.chunkSize).map([UInt8].init) ?? []
        while !current.isEmpty {
            let next = try handle.read(upToCount: VaultFormat.chunkSize).map([UInt8].init) ?? []
            let sealed = try VaultFormat.sealChunk(current, file: fileID, index: UInt32(ids.count), last: next.isEmpty, keys: keys)
            let id = VaultFormat.address(sealed).description
            do { _ = try await client.putBytes(options.base + "/chunks/" + id, sealed, as: ChunkAnswer.self) } catch { throw fail(error) }
            ids.append(id)
            sent += UInt64(current.count)
            progress.show(sent)
            current = next
        }
        progress.finish()
        let entry = VaultFormat.Entry(name: name ?? (file as NSString).lastPathComponent, size: sent,
                                      file: fileID.map { String(format: "%02x", $0) }.joined(), chunks: ids.count)
        struct Body: Encodable { let name: String; let size: UInt64; let chunks: [String]; let chunkSize: UInt32 }
        let body = Body(name: try VaultFormat.sealEntry(entry, keys: keys), size: UInt64(ids.count) * UInt64(VaultFormat.chunkSize),
                        chunks: ids, chunkSize: UInt32(VaultFormat.chunkSize))
        let stored: VaultFileView
        do { stored = try await client.post(options.base + "/files", body) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Stored \(entry.name) (\(Progress.size(sent)), \(ids.count) chunk\(ids.count == 1 ? "" : "s")) as \(stored.blob)\n")
    }
}

struct VaultGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Fetch a file from the team's vault and open it here.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file's name, or its blob ID.") var name: String
    @Option(name: .shortAndLong, help: "Where to write it (default: its name, in this folder).") var output: String?
    @Flag(help: "Overwrite the output file if it exists.") var force = false

    func run() async throws {
        let keys = try options.keys()
        let client = try options.api.client()
        let matches = try await options.files(client, keys: keys).filter { $0.1.name == name || $0.0.blob == name.lowercased() }
        guard let (file, entry) = matches.last else { throw fail(VaultError.notFound(name)) }
        // The name inside the vault is anyone's text: it only ever names a file in this folder.
        let out = output ?? VaultFileName.local(entry.name, blob: file.blob)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw fail("\(out) is a folder: give -o a file path to write to") }
            guard force else { throw fail("\(out) exists: pass --force to overwrite it, or -o to write elsewhere") }
        }
        guard let fileID = Self.bytes(hex: entry.file), entry.chunks == file.chunks.count else {
            throw fail("the entry of \(name) does not match its chunks: the index was altered")
        }
        let partial = out + ".part"
        guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: partial) else { throw fail("cannot write \(partial)") }
        let progress = Progress(total: entry.size, label: "fetching and opening")
        var written: UInt64 = 0
        do {
            for (i, id) in file.chunks.enumerated() {
                let sealed: [UInt8]
                do { sealed = try await client.getBytes(options.base + "/chunks/" + id) } catch { throw fail(error) }
                guard VaultFormat.address(sealed).description == id else { throw fail("chunk \(i) came back altered") }
                let plain = try VaultFormat.openChunk(sealed, file: fileID, index: UInt32(i), last: i == file.chunks.count - 1, keys: keys,
                                                           format: entry.format)
                try handle.write(contentsOf: plain)
                written += UInt64(plain.count)
                progress.show(written)
            }
            try handle.close()
            guard written == entry.size else { throw fail("\(name) opened to \(written) bytes, not the \(entry.size) stored: not kept") }
            if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
            try FileManager.default.moveItem(atPath: partial, toPath: out)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            if let e = error as? VaultError { throw fail(e) }
            throw error
        }
        progress.finish()
        FileHandleOutput.standardOutput("Wrote \(out) (\(Progress.size(written)))\n")
    }

    static func bytes(hex: String) -> [UInt8]? {
        guard hex.count == 32 else { return nil }
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            guard let b = UInt8(hex[i..<j], radix: 16) else { return nil }
            out.append(b)
            i = j
        }
        return out
    }
}

struct VaultListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files this passphrase opens.")

    @OptionGroup var options: VaultOptions

    func run() async throws {
        let keys = try options.keys()
        let files = try await options.files(try options.api.client(), keys: keys)
        if files.isEmpty { FileHandleOutput.standardOutput("No files open under this passphrase in team \(options.team.prefix(8))….\n"); return }
        for (file, entry) in files.sorted(by: { $0.1.name < $1.1.name }) {
            FileHandleOutput.standardOutput("\(entry.name)\t\(Progress.size(entry.size))\t\(file.blob)\n")
        }
    }
}

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
