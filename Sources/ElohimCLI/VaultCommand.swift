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

    func run() async throws {
        guard FileManager.default.isReadableFile(atPath: file) else { throw fail("cannot read \(file): check the path and its permissions") }
        let keys = try options.keys()
        let (entry, stored, chunks) = try await VaultTransfer.put(path: file, name: name ?? (file as NSString).lastPathComponent, options: options,
                                                                  keys: keys, client: try options.api.client())
        FileHandleOutput.standardOutput("Stored \(entry.name) (\(Progress.size(entry.size)), \(chunks) chunk\(chunks == 1 ? "" : "s")) as \(stored.blob)\n")
    }
}

struct VaultGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Fetch a file from the team's vault and open it here.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file's name, or its blob ID.") var name: String
    @Option(name: .shortAndLong, help: "Where to write it (default: its name, in this folder).") var output: String?
    @Flag(help: "Overwrite the output file if it exists.") var force = false

    func run() async throws {
        // The name inside the vault is anyone's text: it only ever names a file in this folder.
        let (out, written) = try await VaultTransfer.get(name: name, output: { output ?? VaultFileName.local($0.name, blob: $1) }, force: force,
                                                         options: options, keys: try options.keys(), client: try options.api.client())
        FileHandleOutput.standardOutput("Wrote \(out) (\(Progress.size(written)))\n")
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
