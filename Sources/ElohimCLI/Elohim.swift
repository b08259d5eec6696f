import ArgumentParser
import Foundation
import MeshNode

/// `elohim`: the one executable. Every subcommand is a thin adapter over the node's modules.
@main
struct Elohim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elohim",
        abstract: "ElohimOS: offline collaboration for field teams, one node per device.",
        discussion: """
        Start a node with `elohim node run`: it keeps its identity and database in a data folder \
        (--data-dir, else $ELOHIM_DATA, else ./.elohim), serves its web page and HTTP API on \
        127.0.0.1:8000, and prints a one-time setup link for the founder's account. The other \
        commands find the running node through its data folder.

        First steps:
          elohim node run
          elohim team create "Water crew"
          elohim workflow define Repairs --team "Water crew" --stage Fix:member:1d
          elohim item create "Pump 3 leaks" --team "Water crew" --workflow Repairs
          elohim invite --team "Water crew"
        """,
        subcommands: [NodeCommand.self, StatusCommand.self, IdCommand.self, AccountCommand.self, TeamCommand.self, MemberCommand.self,
                      WorkflowCommand.self, ItemCommand.self, MessageCommand.self, InviteCommand.self, JoinCommand.self, VaultCommand.self, DataCommand.self,
                      BackupCommand.self, SimCommand.self, AssistantCommand.self, AskCommand.self, PanicCommand.self]
    )

    /// The entry point: `--version`, then the parser; when it refuses the words (or a `help`
    /// names no command), the typo check says what was probably meant. The check reads the whole
    /// command tree (about 13 ms), so a command line that parses never pays for it.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] {
            FileHandleOutput.standardOutput("elohim \(ElohimVersion.current)\n")
            return
        }
        var command: ParsableCommand
        do {
            command = try await asyncParseAsRoot(arguments)
            if arguments.first == "help" { try explainTypo(in: arguments) }
        } catch {
            try? explainTypo(in: arguments)
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }

    /// Prints what is wrong with `arguments` in a person's words and exits, when the check finds it.
    private static func explainTypo(in arguments: [String]) throws {
        if let check = CommandLineCheck(json: _dumpHelp()), let problem = check.problem(in: arguments) {
            FileHandleOutput.standardError("error: \(problem)\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }
}

/// Options shared by every command that works on a node's data folder.
struct DataFolderOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The node's data folder: identity key, database and lock (default: $ELOHIM_DATA, else ./.elohim).",
        valueName: "folder"))
    var given: String?

    /// The folder: `--data-dir`, else `$ELOHIM_DATA`, else `./.elohim`.
    var dataDirectory: String { Self.resolve(given).path }

    /// The folder and what chose it (for messages that say which flag to fix).
    static func resolve(_ given: String?) -> (path: String, source: String) {
        if let given { return (given, "from --data-dir") }
        if let env = ProcessInfo.processInfo.environment["ELOHIM_DATA"], !env.isEmpty { return (env, "from $ELOHIM_DATA") }
        return (DataFolder.defaultPath, "the default, ./.elohim")
    }
}

/// Prints `message` on standard error as the CLI's one error format and exits with status 1.
func fail(_ message: CustomStringConvertible) -> ExitCode {
    FileHandleOutput.standardError("error: \(message)\n")
    return ExitCode.failure
}
