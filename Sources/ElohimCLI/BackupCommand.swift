import ArgumentParser
import Foundation
import MeshNode
import Services
#if canImport(Glibc)
import Glibc
#endif

/// `elohim backup create|restore|show`: a node's data folder sealed into one file under a
/// passphrase, made while the node runs, restored into a stopped or new folder.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a node's data folder into one sealed file, or restore one.",
        discussion: """
        A backup holds the node's identity, its keys and a consistent copy of its database (every \
        team's ops, vault chunks, accounts, audit trail), sealed with a key made from your \
        passphrase (Argon2id, libsodium's secretstream). It can be made while the node runs.

        The passphrase comes from --passphrase-file (first line), else $ELOHIM_BACKUP_PASSPHRASE, \
        else it is asked on the terminal (twice when making a backup). A forgotten passphrase \
        cannot be recovered.

        Examples:
          elohim backup create /media/usb/field-laptop.elohim-backup
          elohim backup show /media/usb/field-laptop.elohim-backup
          elohim backup restore /media/usb/field-laptop.elohim-backup --data-dir ./restored
        """,
        subcommands: [BackupCreateCommand.self, BackupRestoreCommand.self, BackupShowCommand.self]
    )
}

struct BackupPassphrase: ParsableArguments {
    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file's first line.", valueName: "path"))
    var passphraseFile: String?

    /// The passphrase; `confirm` asks twice at a terminal.
    func read(confirm: Bool) throws -> String {
        var text: String?
        if let passphraseFile {
            guard let data = FileManager.default.contents(atPath: passphraseFile) else {
                throw fail("cannot read --passphrase-file \(passphraseFile): check the path and its permissions")
            }
            text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        } else if let env = ProcessInfo.processInfo.environment["ELOHIM_BACKUP_PASSPHRASE"] {
            text = env
        } else {
            guard isatty(0) == 1 else { throw fail("no passphrase: give --passphrase-file or $ELOHIM_BACKUP_PASSPHRASE (there is no terminal to ask on)") }
            text = getpass("Backup passphrase: ").map { String(cString: $0) }
            if confirm, let first = text {
                guard getpass("Same passphrase again: ").map({ String(cString: $0) }) == first else {
                    throw fail("the two passphrases differ: nothing was written")
                }
            }
        }
        guard let text, text.count >= 10 else { throw fail("a backup passphrase has at least 10 characters (a few words work well)") }
        return text
    }
}

struct BackupCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Seal the data folder into FILE (the node may keep running).")

    @OptionGroup var folder: DataFolderOptions
    @OptionGroup var passphrase: BackupPassphrase
    @Argument(help: "The backup file to write (it must not exist).") var file: String

    func run() throws {
        let source = URL(fileURLWithPath: folder.dataDirectory).standardizedFileURL
        let secret = try passphrase.read(confirm: true)
        // Recorded first: a backup the audit trail cannot show is not made.
        do { try LocalAudit.record(folder: source, action: "backup create", resource: file, atMs: Node.wallClockMs()) } catch {
            throw fail("cannot add the backup to the audit trail of \(source.path), so none is made: \(error)")
        }
        let manifest: NodeBackup.Manifest
        do {
            manifest = try NodeBackup.create(folder: source, output: URL(fileURLWithPath: file), passphrase: secret, nowMs: Node.wallClockMs())
        } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Wrote \(file): node \(manifest.nodeId)\n" + BackupShowCommand.describe(manifest))
    }
}

struct BackupRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore FILE into a data folder (never one a node is running on).",
        discussion: """
        The folder must be empty or new; with --force, the node files it holds are first moved aside \
        as NAME.before-restore-<time>. Every file is checked (size and SHA-256) before any is put in \
        place, so a damaged backup leaves the folder as it was.
        """)

    @OptionGroup var folder: DataFolderOptions
    @OptionGroup var passphrase: BackupPassphrase
    @Argument(help: "The backup file.") var file: String
    @Flag(help: "Move the node files the folder holds aside instead of refusing.") var force = false

    func run() throws {
        let target = URL(fileURLWithPath: folder.dataDirectory).standardizedFileURL
        let secret = try passphrase.read(confirm: false)
        let manifest: NodeBackup.Manifest
        do {
            manifest = try NodeBackup.restore(file: URL(fileURLWithPath: file), into: target, passphrase: secret, force: force,
                                              nowMs: Node.wallClockMs())
        } catch { throw fail(error) }
        do { try LocalAudit.record(folder: target, action: "backup restore", resource: file, atMs: Node.wallClockMs()) } catch {
            FileHandleOutput.standardError("warning: restored, but the restore could not be added to the audit trail: \(error)\n")
        }
        FileHandleOutput.standardOutput("Restored node \(manifest.nodeId) into \(target.path)\n" + BackupShowCommand.describe(manifest)
                                        + "Start it with: elohim node run --data-dir \(target.path)\n")
    }
}

struct BackupShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Say what a backup holds (needs its passphrase).")

    @OptionGroup var passphrase: BackupPassphrase
    @Argument(help: "The backup file.") var file: String

    func run() throws {
        let secret = try passphrase.read(confirm: false)
        let manifest: NodeBackup.Manifest
        do { manifest = try NodeBackup.manifest(of: URL(fileURLWithPath: file), passphrase: secret) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Backup of node \(manifest.nodeId)\n" + Self.describe(manifest))
    }

    static func describe(_ m: NodeBackup.Manifest) -> String {
        let s = m.summary
        let bytes = m.files.reduce(0) { $0 + $1.size }
        return """
          made:    \(Node.isoTime(m.createdAtMs))
          holds:   \(s.teams) team(s), \(s.ops) op(s), \(s.vaultChunks) vault chunk(s), \(s.accounts) account(s), \(s.auditEntries) audit entr\(s.auditEntries == 1 ? "y" : "ies")
          files:   \(m.files.map(\.name).joined(separator: ", ")) (\(Progress.size(bytes)))

        """
    }
}
