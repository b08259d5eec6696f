import ArgumentParser
import MeshNode

/// `elohim`: the one executable. Every subcommand is a thin adapter over the node's modules.
@main
struct Elohim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elohim",
        abstract: "ElohimOS: offline collaboration for field teams, one node per device.",
        discussion: """
        Start a node with `elohim node run`; it keeps its identity and database in a data
        folder (./.elohim unless --data-dir says otherwise) and serves an HTTP API on
        127.0.0.1:8000. `elohim id` prints the node ID that peers use to pin this node.
        """,
        version: ElohimVersion.current,
        subcommands: [NodeCommand.self, IdCommand.self, AccountCommand.self, BackupCommand.self, InviteCommand.self, JoinCommand.self,
                      VaultCommand.self, DataCommand.self, SimCommand.self]
    )
}

/// Options shared by every command that works on a node's data folder.
struct DataFolderOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The node's data folder: identity key, database and lock. Made on first use (mode 0700).",
        valueName: "folder"))
    var dataDirectory: String = DataFolder.defaultPath
}

/// Prints `message` on standard error as the CLI's one error format and exits with status 1.
func fail(_ message: CustomStringConvertible) -> ExitCode {
    FileHandleOutput.standardError("error: \(message)\n")
    return ExitCode.failure
}
