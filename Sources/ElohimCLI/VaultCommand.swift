import ArgumentParser
import Foundation
import HTTPAPI
import Replicas
import Services
#if canImport(Glibc)
import Glibc
#endif

/// `elohim vault put|get|ls|rm`: files sealed on this machine (vault format v2; v1 still opens)
/// before the node sees them; the node stores ciphertext only.
struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Put, get, list and remove files in a team's encrypted vault.",
        discussion: """
        Files are sealed here, with a key made from your passphrase (PBKDF2-HMAC-SHA256, 600,000 \
        rounds; AES-256-GCM per 512 KiB chunk, deflated first: vault format v2, which the web page \
        reads and writes too), and only then sent to the node. The node never sees a name, a size \
        or a byte in clear.

        A second passphrase opens a second vault in the same team; the node's storage does not tell \
        how many there are. A forgotten passphrase cannot be recovered. A mistyped one opens an \
        empty vault: when a typed passphrase opens no files, `put` asks for it again before it \
        starts a new vault, and `get` and `ls` say so.

        The passphrase comes from --passphrase-file, else $ELOHIM_VAULT_PASSPHRASE, else it is asked \
        on the terminal. Deleting files (vault rm) is how a full store makes room.

        Examples:
          elohim vault put report.pdf --team "Water crew"
          elohim vault ls --team "Water crew"
          elohim vault get report.pdf --team "Water crew" -o copy.pdf
          elohim vault get report.pdf --team "Water crew" -o - | less
          elohim vault rm report.pdf --team "Water crew"
        """,
        subcommands: [VaultPutCommand.self, VaultGetCommand.self, VaultListCommand.self, VaultRemoveCommand.self]
    )
}

struct VaultOptions: ParsableArguments {
    @OptionGroup var api: APIOptions

    @Option(help: ArgumentHelp("The team whose vault to use: its name, ID or ID prefix.", valueName: "team"))
    var team: String

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file (its first line).", valueName: "path"))
    var passphraseFile: String?

    /// Opens the vault: finds the team, reads the passphrase, derives its keys and lists what
    /// they open. With `starting`, a typed passphrase that opens nothing is asked again before
    /// a new vault is started.
    func open(starting: Bool = false) async throws -> VaultSession {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team)
        guard let id = OpID(hex: t.id) else { throw fail("the node named a team with a malformed ID: \(t.id)") }
        let (passphrase, typed) = try readPassphrase()
        let session = VaultSession(client: client, team: id, teamName: t.name, keys: try VaultFormat.keys(passphrase: passphrase, team: id))
        let files = try await session.files()
        if files.isEmpty && typed && starting {
            guard let again = getpass("No files open under this passphrase in \(t.name) yet: this starts a new vault. Type it again to confirm: ")
                .map({ String(cString: $0) }), again == passphrase else {
                throw fail("the two passphrases differ: nothing was stored (a mistyped passphrase would start a vault no one can open)")
            }
        }
        return session
    }

    /// The passphrase, and whether it was typed at a terminal.
    private func readPassphrase() throws -> (String, typed: Bool) {
        var text: String?
        var typed = false
        if let passphraseFile {
            guard let data = FileManager.default.contents(atPath: passphraseFile) else {
                throw fail("cannot read --passphrase-file \(passphraseFile): check the path and its permissions")
            }
            text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        } else if let env = ProcessInfo.processInfo.environment["ELOHIM_VAULT_PASSPHRASE"] {
            text = env
        } else {
            guard isatty(0) == 1 else {
                throw fail("no vault passphrase: give --passphrase-file or $ELOHIM_VAULT_PASSPHRASE (there is no terminal to ask on)")
            }
            text = getpass("Vault passphrase: ").map { String(cString: $0) }
            typed = true
        }
        guard let text, text.count >= 8 else { throw fail("the vault passphrase must be at least 8 characters") }
        return (text, typed)
    }
}

/// An open vault: the team, a client for its node, and the keys of one passphrase.
struct VaultSession {
    let client: APIClient
    let team: TeamID
    let teamName: String
    let keys: VaultFormat.Keys

    var base: String { "api/v1/teams/\(team)/vault" }

    /// The files of this vault (those whose entry opens under these keys), by name.
    func files() async throws -> [(file: VaultFileView, entry: VaultFormat.Entry)] {
        let all: VaultFileList
        do { all = try await client.get(base + "/files") } catch { throw fail(error) }
        return all.files.compactMap { f in VaultFormat.openEntry(f.name, keys: keys).map { (f, $0) } }.sorted { $0.1.name < $1.1.name }
    }

    /// The one file `name` names (its name, or its blob ID); an error that says what to do when
    /// none or several do.
    func file(_ name: String) async throws -> (file: VaultFileView, entry: VaultFormat.Entry) {
        let all = try await files()
        let matches = all.filter { $0.entry.name == name || $0.file.blob == name.lowercased() }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw fail(all.isEmpty
                ? "no files open under this passphrase in \(teamName) (a mistyped passphrase opens an empty vault)"
                : "\(VaultError.notFound(name))")
        }
        throw fail("\(matches.count) files are named \(name): give one's blob ID instead (\(matches.map { Listing.short($0.file.blob) }.joined(separator: ", "))); `elohim vault ls` lists them")
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
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Seal a file here and store it in the team's vault.",
        discussion: "A name already in this vault is kept unless --replace: then the new file takes its place.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file to store.") var file: String
    @Option(help: "The name to store it under (default: the file's name).") var name: String?
    @Flag(help: "Replace the file of the same name, if any, once the new one is stored.") var replace = false

    func run() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { throw fail("there is no file \(file): check the path") }
        guard !isDirectory.boolValue else {
            throw fail("\(file) is a folder: vault put stores one file; pack the folder first (tar czf \((file as NSString).lastPathComponent).tgz \(file))")
        }
        guard FileManager.default.isReadableFile(atPath: file) else { throw fail("cannot read \(file): check its permissions") }
        let name = name ?? (file as NSString).lastPathComponent
        let session = try await options.open(starting: true)
        let existing = try await session.files().filter { $0.entry.name == name }
        if !existing.isEmpty && !replace {
            throw fail("\(session.teamName)'s vault already has a file named \(name): pass --replace to replace it, or --name to store this one under another name")
        }
        let (entry, stored, chunks) = try await VaultTransfer.put(path: file, name: name, session: session)
        for old in existing {
            do { _ = try await session.client.delete(session.base + "/files/" + old.file.blob, as: VaultFileView.self) } catch { throw fail(error) }
        }
        FileHandleOutput.standardOutput("Stored \(entry.name) (\(Progress.size(entry.size)), \(chunks) chunk\(chunks == 1 ? "" : "s")) as \(stored.blob)"
                                        + (existing.isEmpty ? "" : ", replacing the earlier file") + "\n")
    }
}

struct VaultGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Fetch a file from the team's vault and open it here.")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file's name, or its blob ID.") var name: String
    @Option(name: .shortAndLong, help: "Where to write it (default: its name, in this folder; - for standard output).") var output: String?
    @Flag(help: "Overwrite the output file if it exists.") var force = false

    func run() async throws {
        let session = try await options.open()
        // The name inside the vault is anyone's text: it only ever names a file in this folder.
        let (out, written) = try await VaultTransfer.get(name: name, output: { output ?? VaultFileName.local($0.name, blob: $1) }, force: force,
                                                         session: session)
        if out != "-" { FileHandleOutput.standardOutput("Wrote \(out) (\(Progress.size(written)))\n") }
    }
}

struct VaultListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the files this passphrase opens.")

    @OptionGroup var options: VaultOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let session = try await options.open()
        let files = try await session.files()
        if json {
            let list = files.map { ["name": $0.entry.name, "size": $0.entry.size, "blob": $0.file.blob, "chunks": $0.entry.chunks] as [String: Any] }
            Listing.json([UInt8](try JSONSerialization.data(withJSONObject: list)))
            return
        }
        if files.isEmpty {
            FileHandleOutput.standardOutput("No files open under this passphrase in \(session.teamName) (a mistyped passphrase opens an empty vault).\n")
            return
        }
        Listing.table(["NAME", "SIZE", "BLOB"], files.map { [$0.entry.name, Progress.size($0.entry.size), $0.file.blob] })
    }
}

struct VaultRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a file from the team's vault (every node drops its chunks within about an hour).")

    @OptionGroup var options: VaultOptions
    @Argument(help: "The file's name, or its blob ID.") var name: String

    func run() async throws {
        let session = try await options.open()
        let (file, entry) = try await session.file(name)
        do { _ = try await session.client.delete(session.base + "/files/" + file.blob, as: VaultFileView.self) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Removed \(entry.name) (\(Progress.size(entry.size))) from \(session.teamName)'s vault.\n")
    }
}
