import ArgumentParser
import Foundation

/// Catches what a person mistypes before the argument parser answers something less useful:
/// an unknown command (`elohim nod run`) or option (`--teem X`, `--data`) is named, with the
/// nearest real one, instead of "2 unexpected arguments" or "missing --team"; `elohim help nope`
/// is an error, not the top-level help with status 0.
///
/// It reads the command tree from the parser's own description of it (`_dumpHelp`), so it never
/// lists commands or options by hand.
struct CommandLineCheck {
    /// One command of the tree.
    struct Command: Decodable {
        struct Argument: Decodable {
            struct Name: Decodable { let kind: String; let name: String }
            let kind: String
            let names: [Name]?
        }
        let commandName: String
        let arguments: [Argument]?
        let subcommands: [Command]?
        /// The subcommand that runs when none is named (its options are accepted here too).
        let defaultSubcommand: String?

        /// This command, or its default subcommand when it has one: whose options apply here.
        var effective: Command { defaultSubcommand.flatMap { d in subcommands?.first { $0.commandName == d } } ?? self }

        /// `--name` and `-n` spellings of every option and flag.
        var optionSpellings: [String] {
            (arguments ?? []).filter { $0.kind != "positional" }.flatMap { a in
                (a.names ?? []).map { $0.kind == "short" ? "-\($0.name)" : "--\($0.name)" }
            }
        }

        /// Option spellings that take a value (the next argument, unless written `--name=value`).
        var valueOptions: Set<String> {
            Set((arguments ?? []).filter { $0.kind == "option" }.flatMap { a in
                (a.names ?? []).map { $0.kind == "short" ? "-\($0.name)" : "--\($0.name)" }
            })
        }
    }

    struct Dump: Decodable { let command: Command }

    let root: Command

    init?(json: String) {
        guard let dump = try? JSONDecoder().decode(Dump.self, from: Data(json.utf8)) else { return nil }
        root = dump.command
    }

    /// What is wrong with `arguments`, said for a person, or nil when the parser may have them.
    func problem(in arguments: [String]) -> String? {
        var args = arguments[...]
        if args.first == "help" {
            var node = root
            var path = ["elohim"]
            for word in args.dropFirst() where !word.hasPrefix("-") {
                guard let next = node.subcommands?.first(where: { $0.commandName == word }) else {
                    return unknownCommand(word, under: node, path: path)
                }
                node = next
                path.append(word)
            }
            return nil
        }
        var node = root
        var path = ["elohim"]
        var positionalSeen = false
        while let arg = args.popFirst() {
            if arg == "--" { return nil }
            if arg.hasPrefix("-") && arg.count > 1 && Double(arg) == nil {
                let name = String(arg.split(separator: "=", maxSplits: 1).first ?? "")
                // The parser's own: help everywhere; at the top, the version, shell completion
                // scripts and the tree dump this check reads.
                let builtIn = node.commandName == root.commandName
                    ? ["--version", "--generate-completion-script", "--experimental-dump-help"] : []
                let known = node.optionSpellings + node.effective.optionSpellings + ["-h", "--help"] + builtIn
                guard known.contains(name) || isShortCluster(name, known: known) else {
                    let hint = Self.nearest(name, among: known.filter { $0.hasPrefix("--") })
                    return "unknown option '\(name)' for '\(path.joined(separator: " "))'." + (hint.map { " Did you mean '\($0)'?" } ?? "")
                        + " See '\(path.joined(separator: " ")) --help'."
                }
                if node.valueOptions.union(node.effective.valueOptions).union(builtIn.isEmpty ? [] : ["--generate-completion-script"])
                    .contains(name), !arg.contains("=") { _ = args.popFirst() }
                continue
            }
            if let subcommands = node.subcommands, !subcommands.isEmpty, !positionalSeen {
                guard let next = subcommands.first(where: { $0.commandName == arg }) else {
                    // A default subcommand may take positionals of its own.
                    if node.effective.arguments?.contains(where: { $0.kind == "positional" }) == true { positionalSeen = true; continue }
                    return unknownCommand(arg, under: node, path: path)
                }
                node = next
                path.append(arg)
                continue
            }
            positionalSeen = true
        }
        return nil
    }

    private func unknownCommand(_ word: String, under node: Command, path: [String]) -> String {
        let names = (node.subcommands ?? []).map(\.commandName)
        let hint = Self.nearest(word, among: names)
        return "'\(word)' is not a command of '\(path.joined(separator: " "))'" + (hint.map { ". Did you mean '\($0)'?" } ?? "")
            + " Commands: \(names.joined(separator: ", "))."
    }

    /// `-fv` style clusters of known one-letter flags.
    private func isShortCluster(_ name: String, known: [String]) -> Bool {
        guard name.count > 2, !name.hasPrefix("--") else { return false }
        return name.dropFirst().allSatisfy { known.contains("-\($0)") }
    }

    /// The candidate a typo most likely meant: the only one it is a prefix of (`--data` →
    /// `--data-dir`), else the closest within an edit distance of a third of its length (at
    /// least 2).
    static func nearest(_ typed: String, among given: [String]) -> String? {
        var candidates: [String] = []
        for c in given where !candidates.contains(c) { candidates.append(c) }
        let prefixed = candidates.filter { $0.hasPrefix(typed) }
        if prefixed.count == 1 { return prefixed[0] }
        let scored = candidates.map { ($0, distance(typed, $0)) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let best = scored.first, best.1 <= max(2, typed.count / 3) else { return nil }
        return best.0
    }

    /// Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
    /// so `tema` is one edit from `team`, as a typist sees it.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
