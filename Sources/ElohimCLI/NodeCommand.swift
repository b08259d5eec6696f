import ArgumentParser

/// `elohim node`: the commands that run a node.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a node.",
        subcommands: [NodeRunCommand.self]
    )
}
