import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct NodeRunTests {
    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("elohim-cli-\(UUID().uuidString)").path
    }

    /// The HTTP address from the start banner.
    func httpAddress(_ banner: String) -> String? {
        banner.split(separator: "\n").first { $0.contains("http:") }.map {
            String($0.split(separator: " ").last!)
        }
    }

    @Test func servesHealthThenStopsCleanlyOnSIGTERM() async throws {
        let data = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let id = try await runElohim(["id", "--data-dir", data, "--create"])
        #expect(id.status == 0)
        let nodeID = id.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(nodeID.count == 33)

        let node = try ElohimProcess(["node", "run", "--data-dir", data, "--http", "127.0.0.1:0"])
        let banner = try await node.waitForOutput { $0.contains("http:") }
        #expect(banner.contains(nodeID))
        let base = try #require(httpAddress(banner))
        let (body, response) = try await URLSession.shared.data(from: URL(string: "\(base)/health")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let health = try JSONDecoder().decode([String: String].self, from: body)
        #expect(health["status"] == "ok")
        #expect(health["nodeId"] == nodeID)

        // A second node on the same folder fails at once, naming the first one's pid.
        let second = try await runElohim(["node", "run", "--data-dir", data, "--http", "127.0.0.1:0"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("in use by process \(node.process.processIdentifier)"))
        #expect(second.stderr.contains(data))

        node.signal(SIGTERM)
        #expect(try await node.waitForExit() == 0)
        #expect(node.standardError.contains("shutting down"))
        #expect(node.standardError.contains("stopped cleanly"))

        // After a clean stop the folder is free again and the identity is the same.
        let again = try await runElohim(["id", "--data-dir", data])
        #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == nodeID)
    }

    @Test func damagedIdentityStopsTheNodeWithTheFileName() async throws {
        let data = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        _ = try await runElohim(["id", "--data-dir", data, "--create"])
        let keyFile = data + "/identity.key"
        try "version: 1\nseed: zz\n".write(toFile: keyFile, atomically: false, encoding: .utf8)
        let run = try await runElohim(["node", "run", "--data-dir", data, "--http", "127.0.0.1:0"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error: identity file \(keyFile) is damaged"))
    }

    @Test func badAddressIsAUsageError() async throws {
        let run = try await runElohim(["node", "run", "--data-dir", temporaryFolder(), "--http", "localhost"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("expected HOST:PORT"))
    }
}
