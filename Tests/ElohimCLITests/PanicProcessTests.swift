import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `elohim panic` against a running node holding a founder, a team and a vault file: the node
/// wipes itself and exits, its folder goes, and the identity key's seed is nowhere under the
/// test's temporary folder afterwards (issue 18: "finds no key material left").
@Suite(.serialized) struct PanicProcessTests {
    typealias Node = MeshProcessTests.MeshNode

    @Test func panicWipesARunningNodeAndItExits() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-panic-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let node = try #require(a.process)

        // The seed, read before the wipe, in the two forms it could be left in: raw and as the file spells it (hex).
        let identity = try String(contentsOfFile: a.data + "/identity.key", encoding: .utf8)
        let seedHex = try #require(identity.split(separator: "\n").first { $0.hasPrefix("seed: ") }).dropFirst(6)
        let seed = try #require(Self.bytes(hex: String(seedHex)))
        #expect(seed.count == 32)

        // Some data: a founder (whose person keys are sealed in the database), a team, a vault file.
        _ = try await APIProcessTests.call(a, "POST", "/api/v1/auth/register", #"{"username": "ada", "password": "a long passphrase"}"#,
                                           expect: 201, as: APIProcessTests.Anything.self)
        let team = try await runElohim(["team", "create", "crew", "--data-dir", a.data])
        #expect(team.status == 0, "\(team.stderr)")
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: URL(fileURLWithPath: root + "/report.bin"))
        try "correct horse battery\n".write(toFile: root + "/pass", atomically: true, encoding: .utf8)
        let put = try await runElohim(["vault", "put", root + "/report.bin", "--data-dir", a.data, "--team", "crew",
                                       "--passphrase-file", root + "/pass"])
        #expect(put.status == 0, "\(put.stderr)")

        let panic = try await runElohim(["panic", "--yes", "--data-dir", a.data])
        #expect(panic.status == 0, "\(panic.stdout) \(panic.stderr)")
        #expect(panic.stdout.contains("keys gone after") && panic.stdout.contains("all gone after"), "\(panic.stdout)")
        #expect(panic.stdout.contains("identity.key, jwt-signing.key, api-token"), "\(panic.stdout)")
        #expect(try await node.waitForExit(seconds: 15) == 0, "\(node.standardError)")
        #expect(!FileManager.default.fileExists(atPath: a.data))

        // No file left under the test's folder holds the seed, raw or in hex.
        let needles = [seed, Array(seedHex.lowercased().utf8), Array(seedHex.uppercased().utf8)]
        var scanned = 0
        for case let path as String in FileManager.default.enumerator(atPath: root) ?? .init() {
            guard let data = FileManager.default.contents(atPath: root + "/" + path) else { continue }
            scanned += 1
            let bytes = [UInt8](data)
            for needle in needles { #expect(!Self.contains(bytes, needle), "\(path) holds the identity seed") }
        }
        #expect(scanned >= 2, "the scan saw the test's own files")
    }

    /// With no node running the command wipes the folder itself; without --yes and no terminal to
    /// ask on, it refuses and touches nothing.
    @Test func panicWipesAStoppedNodesFolderAndAsksUnlessYes() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-panic-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        a.process?.signal(SIGTERM)
        #expect(try await a.process?.waitForExit() == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: a.data).sorted()

        let refused = try await runElohim(["panic", "--data-dir", a.data])
        #expect(refused.status != 0 && refused.stderr.contains("--yes"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: a.data).sorted() == before)

        let panic = try await runElohim(["panic", "--yes", "--data-dir", a.data])
        #expect(panic.status == 0, "\(panic.stdout) \(panic.stderr)")
        #expect(panic.stdout.contains("keys gone after") && panic.stdout.contains("all gone after"), "\(panic.stdout)")
        #expect(!FileManager.default.fileExists(atPath: a.data))

        let again = try await runElohim(["panic", "--yes", "--data-dir", a.data])
        #expect(again.status != 0 && again.stderr.contains("nothing to wipe"), "\(again.stderr)")
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        return stride(from: 0, to: chars.count, by: 2).compactMap { UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
