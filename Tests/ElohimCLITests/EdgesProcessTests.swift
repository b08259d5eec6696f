import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The edges issue with real processes: the first run (setup link, `account create
/// --founder`), backups made while a node runs and restored into a new folder, and vault names
/// that try to leave the folder they are written to.
@Suite(.serialized) struct EdgesProcessTests {
    typealias Node = MeshProcessTests.MeshNode
    struct Created: Decodable { let id: String }
    struct Items: Decodable { struct Item: Decodable { let title: String }; let items: [Item] }
    struct Entries: Decodable { struct Entry: Decodable { let actor: String; let action: String }; let entries: [Entry] }
    struct Anything: Decodable {}

    static func root(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("elohim-\(name)-\(UUID().uuidString)").path
    }

    @Test func theBannerPrintsAOneTimeSetupLinkThatMakesTheFounder() async throws {
        let root = Self.root("setup")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let banner = a.process!.standardOutput
        let line = try #require(banner.split(separator: "\n").first { $0.contains("setup:") }, "banner: \(banner)")
        #expect(line.contains("http://127.0.0.1:\(a.http)/#setup="))
        let secret = String(line.split(separator: "=").last!)
        _ = try await APIProcessTests.call(a, "POST", "/api/v1/auth/setup",
                                           #"{"setupToken": "\#(secret)", "username": "ada", "password": "a long passphrase"}"#,
                                           token: .none, expect: 201, as: Anything.self)
        _ = try await APIProcessTests.call(a, "POST", "/api/v1/auth/setup",
                                           #"{"setupToken": "\#(secret)", "username": "eve", "password": "a long passphrase"}"#,
                                           token: .none, expect: 409, as: Anything.self)
        // A restart has a founder: no link any more.
        a.process?.signal(SIGTERM)
        _ = try await a.process?.waitForExit()
        try await a.start(peers: [], extra: ["--no-discovery"])
        #expect(!a.process!.standardOutput.contains("setup:"))
    }

    /// DNS rebinding: a page whose own name now resolves to 127.0.0.1 makes the browser send that
    /// name as Host. The node answers only its addresses, localhost and --allowed-host names.
    @Test func aForeignHostIsRefusedAndAnAllowedOneAnswered() async throws {
        let root = Self.root("hosts")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery", "--allowed-host", "field-laptop.local"])
        func status(host: String) throws -> String {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: \(host)", "http://127.0.0.1:\(a.http)/health"]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            curl.waitUntilExit()
            return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(try status(host: "evil.example:\(a.http)") == "421")
        #expect(try status(host: "127.0.0.1.evil.example") == "421")
        #expect(try status(host: "127.0.0.1:\(a.http)") == "200")
        #expect(try status(host: "localhost:\(a.http)") == "200")
        #expect(try status(host: "field-laptop.local:\(a.http)") == "200")
    }

    @Test func theOperatorMakesTheFounderFromTheCommandLine() async throws {
        let root = Self.root("founder")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        try "a long passphrase\n".write(toFile: root + "/pw", atomically: true, encoding: .utf8)
        let api = ["--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data, "--password-file", root + "/pw"]
        let plain = try await runElohim(["account", "create", "ada"] + api)
        #expect(plain.status != 0 && plain.stderr.contains("pass --founder"))
        let made = try await runElohim(["account", "create", "ada", "--founder"] + api)
        #expect(made.status == 0 && made.stdout.contains("the node's founder"), "\(made.stderr)")
        let again = try await runElohim(["account", "create", "eve", "--founder"] + api)
        #expect(again.status != 0 && again.stderr.contains("has a founder already"))
        let bob = try await runElohim(["account", "create", "bob", "--name", "Bob Ndlovu"] + api)
        #expect(bob.status == 0 && bob.stdout.contains("person "), "\(bob.stdout)")
        let listed = try await runElohim(["account", "ls", "--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data])
        let lines = listed.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        // id, username, display name, person, [founder], since
        let ada = try #require(lines.first { $0.count > 1 && $0[1] == "ada" })
        #expect(ada[2] == "ada" && ada.contains("founder") && ada[3].count == 33, "\(ada)")
        let bobLine = try #require(lines.first { $0.count > 1 && $0[1] == "bob" })
        #expect(bobLine[2] == "Bob Ndlovu" && !bobLine.contains("founder"), "\(bobLine)")
    }

    @Test func aBackupMadeWhileTheNodeRunsRestoresIntoANewFolder() async throws {
        let root = Self.root("backup")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let team = try await APIProcessTests.call(a, "POST", "/api/v1/teams", #"{"name": "crew"}"#, expect: 201, as: Created.self).id
        let workflow = try await APIProcessTests.call(a, "POST", "/api/v1/teams/\(team)/workflows",
                                                      #"{"name": "w", "stages": [{"name": "s", "roles": []}]}"#, expect: 201, as: Created.self).id
        func item(_ title: String) async throws {
            _ = try await APIProcessTests.call(a, "POST", "/api/v1/teams/\(team)/items", #"{"workflow": "\#(workflow)", "title": "\#(title)"}"#,
                                               expect: 201, as: Anything.self)
        }
        for k in 0..<3 { try await item("before \(k)") }
        try "vault passphrase\n".write(toFile: root + "/vp", atomically: true, encoding: .utf8)
        try Data((0..<100_000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: root + "/file.bin"))
        let vault = ["--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data, "--team", team, "--passphrase-file", root + "/vp"]
        #expect(try await runElohim(["vault", "put", root + "/file.bin"] + vault).status == 0)

        try "backup passphrase\n".write(toFile: root + "/bp", atomically: true, encoding: .utf8)
        let file = root + "/a.elohim-backup"
        let made = try await runElohim(["backup", "create", file, "--data-dir", a.data, "--passphrase-file", root + "/bp"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("node \(a.id)") && made.stdout.contains("1 team(s)") && made.stdout.contains("1 vault chunk(s)"), "\(made.stdout)")
        try await item("after the backup")
        let again = try await runElohim(["backup", "create", file, "--data-dir", a.data, "--passphrase-file", root + "/bp"])
        #expect(again.status != 0 && again.stderr.contains("exists"))

        // Refusals first: a running node's folder, a wrong passphrase, a damaged byte.
        let onRunning = try await runElohim(["backup", "restore", file, "--data-dir", a.data, "--passphrase-file", root + "/bp", "--force"])
        #expect(onRunning.status != 0 && onRunning.stderr.contains("a node is running"), "\(onRunning.stderr)")
        try "not the passphrase\n".write(toFile: root + "/wrong", atomically: true, encoding: .utf8)
        let wrong = try await runElohim(["backup", "restore", file, "--data-dir", root + "/b", "--passphrase-file", root + "/wrong"])
        #expect(wrong.status != 0 && wrong.stderr.contains("does not open"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: root + "/damaged"))
        let damaged = try await runElohim(["backup", "restore", root + "/damaged", "--data-dir", root + "/b", "--passphrase-file", root + "/bp"])
        #expect(damaged.status != 0)
        #expect(!FileManager.default.fileExists(atPath: root + "/b/identity.key"), "a damaged backup restores nothing")

        let restored = try await runElohim(["backup", "restore", file, "--data-dir", root + "/b", "--passphrase-file", root + "/bp"])
        #expect(restored.status == 0, "\(restored.stderr)")
        let twice = try await runElohim(["backup", "restore", file, "--data-dir", root + "/b", "--passphrase-file", root + "/bp"])
        #expect(twice.status != 0 && twice.stderr.contains("--force"))

        // The restored folder is the same node as of the backup: its identity, its items, its vault.
        let b = Node("b", root: root)
        try await b.start(peers: [], extra: ["--no-discovery"])
        #expect(b.id == a.id)
        let items = try await b.get("/api/v1/teams/\(team)/items", as: Items.self).items.map(\.title).sorted()
        #expect(items == ["before 0", "before 1", "before 2"])
        let back = try await runElohim(["vault", "get", "file.bin", "-o", root + "/back.bin", "--api", "http://127.0.0.1:\(b.http)",
                                        "--data-dir", b.data, "--team", team, "--passphrase-file", root + "/vp"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/back.bin")) == Data(contentsOf: URL(fileURLWithPath: root + "/file.bin")))
        let audit = try await b.get("/api/v1/audit", as: Entries.self).entries
        #expect(audit.contains { $0.action == "backup create" && $0.actor == "node-operator (cli)" })
        #expect(audit.contains { $0.action == "backup restore" })
    }

    /// A vault entry's name is anyone's text: `..` or `../x` must not name a folder to overwrite.
    @Test func vaultNamesNeverLeaveTheFolderTheyAreWrittenTo() async throws {
        let root = Self.root("vault-names")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let team = try await APIProcessTests.call(a, "POST", "/api/v1/teams", #"{"name": "crew"}"#, expect: 201, as: Created.self).id
        try "vault passphrase\n".write(toFile: root + "/vp", atomically: true, encoding: .utf8)
        try Data("secret report".utf8).write(to: URL(fileURLWithPath: root + "/report.txt"))
        let vault = ["--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data, "--team", team, "--passphrase-file", root + "/vp"]
        for name in ["..", "../../escape", "/etc/evil"] {
            #expect(try await runElohim(["vault", "put", root + "/report.txt", "--name", name] + vault).status == 0)
        }
        let work = root + "/work/inner"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: root + "/work/keep.txt"))
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(work)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        for name in ["..", "../../escape", "/etc/evil"] {
            let got = try await runElohim(["vault", "get", name, "--force"] + vault)
            #expect(got.status == 0, "\(name): \(got.stderr)")
        }
        let written = try FileManager.default.contentsOfDirectory(atPath: work).sorted()
        #expect(written.count == 3 && written.contains("escape") && written.contains("evil") && written.contains { $0.hasPrefix("vault-file-") },
                "\(written)")
        #expect(FileManager.default.fileExists(atPath: root + "/work/keep.txt"), "the parent folder is untouched")
        #expect(!FileManager.default.fileExists(atPath: root + "/escape"))
        let intoFolder = try await runElohim(["vault", "get", "..", "-o", root + "/work", "--force"] + vault)
        #expect(intoFolder.status != 0 && intoFolder.stderr.contains("is a folder"))
    }
}
