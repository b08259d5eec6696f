import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The command line as a newcomer meets it (issue 14): typos named with what was meant, help that
/// wraps once, `id` that only reads, commands that find their node through its data folder, the
/// team and work verbs, errors that name the address and the flag, a vault that refuses to keep
/// two files of one name, and a `join` that sleeps while it waits.
@Suite(.serialized) struct CommandLineProcessTests {
    typealias Node = MeshProcessTests.MeshNode

    static func root(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("elohim-cli-\(name)-\(UUID().uuidString)").path
    }

    @Test func typosAreNamedWithWhatWasMeant() async throws {
        let command = try await runElohim(["tema", "ls"])
        #expect(command.status != 0 && command.stderr.contains("'tema' is not a command of 'elohim'. Did you mean 'team'?"), "\(command.stderr)")
        let option = try await runElohim(["team", "ls", "--jsn"])
        #expect(option.status != 0 && option.stderr.contains("unknown option '--jsn' for 'elohim team ls'. Did you mean '--json'?"), "\(option.stderr)")
        let prefix = try await runElohim(["vault", "ls", "--data", "x"])
        #expect(prefix.stderr.contains("Did you mean '--data-dir'?"), "\(prefix.stderr)")
        let help = try await runElohim(["help", "nope"])
        #expect(help.status != 0 && help.stderr.contains("'nope' is not a command"))
        let version = try await runElohim(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("elohim "))
        let nested = try await runElohim(["team", "--version"])
        #expect(nested.status != 0, "--version belongs to elohim alone")
        let completion = try await runElohim(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.stdout.contains("_elohim"))
    }

    /// Help text is written as paragraphs the parser wraps: a line broken in the source and
    /// wrapped again leaves a lone word or two on a line of its own.
    @Test func helpWrapsOnceAtEightyColumns() async throws {
        let commands: [[String]] = [[], ["node", "run"], ["status"], ["id"], ["account"], ["team"], ["team", "create"], ["member"],
                                    ["workflow"], ["workflow", "define"], ["item"], ["item", "ls"], ["invite"], ["join"],
                                    ["vault"], ["vault", "put"], ["vault", "get"], ["data"], ["backup"], ["sim"]]
        for command in commands {
            let help = try await runElohim(command + ["--help"], environment: ["COLUMNS": "80"])
            #expect(help.status == 0, "\(command): \(help.stderr)")
            let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.count > 3, "\(command) printed no help")
            // A break the parser did not make: the next line continues the paragraph at the
            // same indent, yet its first word would have fitted on this line.
            func indent(_ l: String) -> Int { l.prefix { $0 == " " }.count }
            for (i, line) in lines.enumerated() where i + 1 < lines.count {
                let next = lines[i + 1]
                guard let word = next.split(separator: " ").first, !line.trimmingCharacters(in: .whitespaces).isEmpty,
                      indent(line) == indent(next), !word.hasPrefix("-"), word != "elohim",
                      !line.contains("elohim "), next.trimmingCharacters(in: .whitespaces).range(of: "  ") == nil else { continue }
                #expect(line.count + 1 + word.count >= 80,  // the parser keeps lines under 80
                        "`elohim \(command.joined(separator: " ")) --help` breaks line \(i + 1) early: '\(line)' / '\(next)'")
            }
            // The usage line is the parser's own, one line however long.
            #expect(lines.allSatisfy { $0.count <= 80 || $0.hasPrefix("USAGE:") }, "`elohim \(command.joined(separator: " ")) --help` has a line past 80 columns")
        }
    }

    @Test func idOnlyReadsAndHonoursTheDataVariable() async throws {
        let root = Self.root("id")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let typo = try await runElohim(["id", "--data-dir", root + "/typo"])
        #expect(typo.status != 0 && typo.stderr.contains("there is no data folder at \(root)/typo"), "\(typo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/typo"), "a mistyped folder is never created")
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        let empty = try await runElohim(["id", "--data-dir", root + "/empty"])
        #expect(empty.status != 0 && empty.stderr.contains("has no identity yet"))

        let made = try await runElohim(["id", "--data-dir", root + "/n", "--create"])
        #expect(made.status == 0)
        let id = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 33)
        let viaVariable = try await runElohim(["id"], environment: ["ELOHIM_DATA": root + "/n"])
        #expect(viaVariable.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == id, "\(viaVariable.stderr)")
        let flagWins = try await runElohim(["id", "--data-dir", root + "/empty"], environment: ["ELOHIM_DATA": root + "/n"])
        #expect(flagWins.status != 0, "--data-dir is used before $ELOHIM_DATA")
    }

    /// Teams, workflows and items from the command line, on a node found through its data folder
    /// (node.json) on a port that is not the default; the founder claims in a member stage.
    @Test func teamAndWorkVerbsFindTheNodeThroughItsFolder() async throws {
        let root = Self.root("work")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let record = try String(contentsOfFile: a.data + "/node.json", encoding: .utf8)
        #expect(record.contains("http://127.0.0.1:\(a.http)") && record.contains(a.id))
        let folder = ["--data-dir", a.data]

        let created = try await runElohim(["team", "create", "Water crew"] + folder)
        #expect(created.status == 0 && created.stdout.contains("Created team Water crew"), "\(created.stderr)")
        let listed = try await runElohim(["team", "ls"], environment: ["ELOHIM_DATA": a.data])
        #expect(listed.stdout.contains("Water crew") && listed.stdout.contains("ID"), "\(listed.stderr)")
        let badStage = try await runElohim(["workflow", "define", "Repairs", "--team", "Water crew", "--stage", "Fix:owner"] + folder)
        #expect(badStage.status != 0 && badStage.stderr.contains("unknown role 'owner'"))
        let badSLA = try await runElohim(["workflow", "define", "Repairs", "--team", "Water crew", "--stage", "Fix:member:2"] + folder)
        #expect(badSLA.status != 0 && badSLA.stderr.contains("needs a number and a unit"))
        let defined = try await runElohim(["workflow", "define", "Repairs", "--team", "Water crew", "--stage", "Fix:member:1d", "--stage", "Check"] + folder)
        #expect(defined.status == 0 && defined.stdout.contains("Fix → Check"), "\(defined.stderr)")
        let item = try await runElohim(["item", "create", "Pump 3 leaks", "--team", "Water crew", "--workflow", "Repairs"] + folder)
        #expect(item.status == 0 && item.stdout.contains("queued in Fix"), "\(item.stdout)\(item.stderr)")
        let prefix = try #require(item.stdout.split(separator: " ").dropFirst().first.map(String.init))

        // The founder's node is the team's Super Admin: a stage for members is also for it.
        let claimed = try await runElohim(["item", "claim", prefix, "--team", "Water crew"] + folder)
        #expect(claimed.status == 0 && claimed.stdout.contains("claimed"), "\(claimed.stderr)")
        #expect(try await runElohim(["item", "start", prefix, "--team", "Water crew"] + folder).status == 0)
        let working = try await runElohim(["item", "ls", "--team", "Water crew", "--status", "in_progress"] + folder)
        #expect(working.stdout.contains("Pump 3 leaks") && working.stdout.contains("in_progress"), "statuses are spelled as the API spells them: \(working.stdout)")
        let unknown = try await runElohim(["item", "claim", "ffff", "--team", "Water crew"] + folder)
        #expect(unknown.status != 0 && unknown.stderr.contains("ffff"), "\(unknown.stderr)")

        let status = try await runElohim(["status"] + folder)
        #expect(status.status == 0 && status.stdout.contains("node \(a.id)") && status.stdout.contains("teams: 1"), "\(status.stdout)\(status.stderr)")

        // Another node's folder with this node's address: said as such, not "log in again".
        let b = Node("b", root: root)
        try await b.start(peers: [], extra: ["--no-discovery"])
        let crossed = try await runElohim(["team", "ls", "--api", "http://127.0.0.1:\(a.http)", "--data-dir", b.data])
        #expect(crossed.status != 0 && crossed.stderr.contains("node \(a.id) answered") && crossed.stderr.contains("another node's folder"),
                "\(crossed.stderr)")

        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { _ = try await n.process?.waitForExit() }
        #expect(!FileManager.default.fileExists(atPath: a.data + "/node.json"), "a stopped node removes its node.json")
        let stopped = try await runElohim(["team", "ls"] + folder)
        #expect(stopped.status != 0 && stopped.stderr.contains("no node is running on \(a.data)"), "\(stopped.stderr)")
        let missing = try await runElohim(["team", "ls", "--data-dir", root + "/none"])
        #expect(missing.stderr.contains("there is no data folder at \(root)/none"))
        let nobody = try await runElohim(["team", "ls", "--api", "http://127.0.0.1:\(freePort())", "--data-dir", a.data])
        #expect(nobody.status != 0 && nobody.stderr.contains("cannot reach the node at"), "\(nobody.stderr)")
    }

    /// A port that is taken, and a credential other users can read: the node says which address,
    /// which flag or which command fixes it.
    @Test func startErrorsNameTheAddressAndTheFix() async throws {
        let root = Self.root("start")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let held = try HeldPort()
        let blocked = try await runElohim(["node", "run", "--data-dir", root + "/a", "--listen", "127.0.0.1:\(freePort())",
                                           "--http", "127.0.0.1:\(held.port)", "--no-discovery"])
        #expect(blocked.status != 0)
        #expect(blocked.stderr.contains("cannot listen for the HTTP API on 127.0.0.1:\(held.port)") && blocked.stderr.contains("--http"),
                "\(blocked.stderr)")
        #expect(!blocked.stderr.contains("errno"), "no raw errno dump: \(blocked.stderr)")

        let a = Node("b", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        a.process?.signal(SIGTERM)
        _ = try await a.process?.waitForExit()
        #expect(chmod(a.data + "/api-token", 0o644) == 0)
        let args = ["node", "run", "--data-dir", a.data, "--listen", "127.0.0.1:\(a.mesh)", "--http", "127.0.0.1:\(a.http)", "--no-discovery"]
        let open = try await runElohim(args)
        #expect(open.status != 0 && open.stderr.contains("chmod 600 \(a.data)/api-token"), "\(open.stderr)")
    }

    /// Joining: the HTTP port or an address where nothing listens is named as such; while the
    /// node works on a join, the command sleeps (it once burned a whole core).
    @Test func joinErrorsAreWordedAndTheWaitIsIdle() async throws {
        let root = Self.root("join")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root), b = Node("b", root: root)
        for n in [a, b] { try await n.start(peers: [], extra: ["--no-discovery"]) }
        let joiner = ["--data-dir", b.data]
        let atHTTP = try await runElohim(["join", "OMNI-7K3D-QX9M", "--via", "127.0.0.1:\(a.http)"] + joiner)
        #expect(atHTTP.status != 0 && atHTTP.stderr.contains("did not answer as an elohim node's mesh port (is it the HTTP port?)"),
                "\(atHTTP.stderr)")
        let nothing = try await runElohim(["join", "OMNI-7K3D-QX9M", "--via", "127.0.0.1:\(freePort())"] + joiner)
        #expect(nothing.status != 0 && nothing.stderr.contains("nothing listens at 127.0.0.1:"), "\(nothing.stderr)")

        // A listener that never answers keeps the node's handshake waiting; measure the CLI.
        let silent = try HeldPort()
        let waiting = try ElohimProcess(["join", "OMNI-7K3D-QX9M", "--via", "127.0.0.1:\(silent.port)"] + joiner)
        try await Task.sleep(for: .milliseconds(800))
        let before = try cpuTicks(waiting.process.processIdentifier)
        try await Task.sleep(for: .seconds(3))
        let after = try cpuTicks(waiting.process.processIdentifier)
        #expect(waiting.process.isRunning, "the join was still waiting: \(waiting.standardError)")
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let share = Double(after - before) / ticksPerSecond / 3
        print("join: the CLI waiting on the node used \(after - before) clock ticks in 3 s (\(String(format: "%.2f", share * 100))% of a core)")
        #expect(share < 0.05, "the waiting CLI used \(Int(share * 100))% of a core")
        waiting.signal(SIGTERM)
        _ = try? await waiting.waitForExit()

        let badRole = try await runElohim(["invite", "--role", "admin"] + ["--data-dir", a.data])
        #expect(badRole.status != 0 && badRole.stderr.contains("give --team too"))
        let owner = try await runElohim(["invite", "--role", "owner", "--team", "x"] + ["--data-dir", a.data])
        #expect(owner.status != 0 && owner.stderr.contains("--role must be guest, member or admin"))
        let unitless = try await runElohim(["invite", "--expires", "10"] + ["--data-dir", a.data])
        #expect(unitless.status != 0 && unitless.stderr.contains("--expires takes a number and a unit"))
        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { _ = try await n.process?.waitForExit() }
    }

    /// The vault from the command line: one file per name (unless --replace), rm, -o - to
    /// standard output, a folder refused in words, and no prompt without a terminal.
    @Test func vaultKeepsOneFilePerNameAndSaysWhy() async throws {
        let root = Self.root("vault")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let folder = ["--data-dir", a.data]
        #expect(try await runElohim(["team", "create", "Water crew"] + folder).status == 0)
        try "vault passphrase\n".write(toFile: root + "/vp", atomically: true, encoding: .utf8)
        try "first version".write(toFile: root + "/notes.txt", atomically: true, encoding: .utf8)
        let vault = folder + ["--team", "Water crew", "--passphrase-file", root + "/vp"]

        let noTerminal = try await runElohim(["vault", "put", root + "/notes.txt", "--team", "Water crew"] + folder)
        #expect(noTerminal.status != 0 && noTerminal.stderr.contains("there is no terminal to ask on"), "\(noTerminal.stderr)")
        let put = try await runElohim(["vault", "put", root + "/notes.txt"] + vault)
        #expect(put.status == 0, "\(put.stderr)")
        try "second version".write(toFile: root + "/notes.txt", atomically: true, encoding: .utf8)
        let twice = try await runElohim(["vault", "put", root + "/notes.txt"] + vault)
        #expect(twice.status != 0 && twice.stderr.contains("already has a file named notes.txt: pass --replace"), "\(twice.stderr)")
        #expect(try await runElohim(["vault", "put", root + "/notes.txt", "--replace"] + vault).status == 0)
        let out = try await runElohim(["vault", "get", "notes.txt", "-o", "-"] + vault)
        #expect(out.status == 0 && out.stdout == "second version", "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "-"))
        let listed = try await runElohim(["vault", "ls"] + vault)
        #expect(listed.stdout.components(separatedBy: "notes.txt").count == 2, "one entry: \(listed.stdout)")

        let dir = try await runElohim(["vault", "put", root] + vault)
        #expect(dir.status != 0 && dir.stderr.contains("is a folder: vault put stores one file"), "\(dir.stderr)")
        #expect(!dir.stderr.contains("NSCocoaErrorDomain"))

        #expect(try await runElohim(["vault", "rm", "notes.txt"] + vault).status == 0)
        let gone = try await runElohim(["vault", "get", "notes.txt", "-o", "-"] + vault)
        #expect(gone.status != 0)
        a.process?.signal(SIGTERM)
        _ = try await a.process?.waitForExit()
    }
}

extension CommandLineProcessTests {
    /// README's first steps, run as written on two nodes: the first block on the first device,
    /// the second on the second, with the code, the inviter's address and the item's ID prefix
    /// put in for the examples'.
    @Test func theReadmeFirstStepsWorkAsWritten() async throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## First steps").dropFirst().first)
        let blocks = section.components(separatedBy: "```sh\n").dropFirst().prefix(2).map { block in
            block.components(separatedBy: "```")[0].split(separator: "\n").map { line in
                String(line.components(separatedBy: "  #")[0]).trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        try #require(blocks.count == 2 && blocks.allSatisfy { $0.allSatisfy { $0.hasPrefix("elohim ") } }, "\(blocks)")

        let root = Self.root("readme")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root), b = Node("b", root: root)
        for n in [a, b] { try await n.start(peers: [], extra: ["--no-discovery"]) }
        var code = "", prefix = ""
        var inviter: Process?
        let inviterOut = Pipe()
        for line in blocks[0] {
            if line.contains("elohim invite") {
                let p = Self.shell(line, data: a.data)
                p.standardOutput = inviterOut
                try p.run()
                inviter = p
                var seen = Data()
                while !String(decoding: seen, as: UTF8.self).contains("OMNI-") {
                    let chunk = inviterOut.fileHandleForReading.availableData
                    guard !chunk.isEmpty else { break }
                    seen += chunk
                }
                let printed = String(decoding: seen, as: UTF8.self)
                code = try #require(printed.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("OMNI-") }.map(String.init), "\(printed)")
                continue
            }
            let r = try Self.run(line, data: a.data)
            #expect(r.status == 0, "\(line): \(r.output)")
            if line.contains("item create"), let created = r.output.split(separator: " ").dropFirst().first {
                prefix = String(created.prefix(4))
            }
        }
        #expect(!code.isEmpty && prefix.count == 4)
        for var line in blocks[1] {
            line = line.replacingOccurrences(of: "OMNI-7K3D-QX9M", with: code)
                .replacingOccurrences(of: "192.168.1.20:7946", with: "127.0.0.1:\(a.mesh)")
                .replacingOccurrences(of: "5f0c", with: prefix)
            var r = try Self.run(line, data: b.data)
            // The team's ops reach the new member by sync: give them a moment.
            let deadline = Date().addingTimeInterval(30)
            while line.contains("item ls"), !r.output.contains("Pump 3 leaks"), Date() < deadline {
                try await Task.sleep(for: .milliseconds(500))
                r = try Self.run(line, data: b.data)
            }
            #expect(r.status == 0, "\(line): \(r.output)")
        }
        inviter?.waitUntilExit()
        #expect(inviter?.terminationStatus == 0, "the invite ends when its code is used")
        try await MeshProcessTests().eventually("the first device sees the item started", seconds: 30) {
            try Self.run("elohim item ls --team \"Water crew\" --status in_progress", data: a.data).output.contains("Pump 3 leaks")
        }
        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { _ = try await n.process?.waitForExit() }
    }

    /// `line` run by /bin/sh with this build's `elohim` first on PATH and `data` as $ELOHIM_DATA.
    static func shell(_ line: String, data: String) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", line]
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = ElohimProcess.executable.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["ELOHIM_DATA"] = data
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        return p
    }

    static func run(_ line: String, data: String) throws -> (status: Int32, output: String) {
        let p = shell(line, data: data)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: bytes, as: UTF8.self))
    }
}

/// A loopback TCP port held open by this test: listening (so a node cannot take it), taking
/// connections into its backlog and never answering them.
final class HeldPort {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { throw ProcessTestError.timeout(stdout: "cannot hold a port", stderr: "") }
    }

    deinit { close(fd) }
}

/// User plus system CPU time of process `pid` so far, in clock ticks (/proc/PID/stat).
func cpuTicks(_ pid: Int32) throws -> Int {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
    return Int(fields[11])! + Int(fields[12])!
}
