import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A third-party Noise peer (Tests/Interop/noise_peer.py, on PyPI's `noiseprotocol`) against a
/// running node: the handshake and a Ping/Ack interoperate, and bad input closes the link while
/// the node keeps serving and keeps its log short.
@Suite(.serialized) struct InteropTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv/bin/python").path
    static let script = repository.appendingPathComponent("Tests/Interop/noise_peer.py").path
    let seed = String(repeating: "07", count: 32)

    func runPython(_ args: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw InteropError.noVirtualenv(Self.python)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [Self.script] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func aPythonNoisePeerInteroperatesAndBadInputIsSurvived() async throws {
        let peerID = try runPython(["id", seed]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(peerID.count == 33)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-interop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let mesh = freePort(), http = freePort()
        // The Python peer's identity is pinned (at an address nobody listens on): it may link in.
        let node = try ElohimProcess(["node", "run", "--data-dir", data, "--listen", "127.0.0.1:\(mesh)",
                                      "--http", "127.0.0.1:\(http)", "--peer", "\(peerID)@127.0.0.1:9"])
        let banner = try await node.waitForOutput { $0.contains("http:") }
        let nodeID = banner.split(separator: "\n").first { $0.contains("node ID:") }!.split(separator: " ").last.map(String.init)!

        let handshake = try runPython(["handshake", "127.0.0.1", "\(mesh)", seed])
        #expect(handshake.status == 0, "\(handshake.output)")
        #expect(handshake.output.contains("node \(nodeID)"), "the Python peer computed the node's ID from its hello")
        #expect(handshake.output.contains("ack for ping 7"))

        for mode in ["garbage", "truncated", "oversized", "replay", "wrong-static", "flood"] {
            let run = try runPython([mode, "127.0.0.1", "\(mesh)", seed])
            #expect(run.status == 0, "\(mode): \(run.output)")
        }
        // Still serving.
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(http)/health")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(nodeID))
        // 200 garbage connections in a burst, but the log stays short: at most a few lines per kind.
        let warnings = node.standardError.split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.count < 25, "\(warnings.count) warning lines")
        #expect(node.standardError.contains("frame of 70000 bytes exceeds the limit of 65535 bytes"))
        node.signal(SIGTERM)
        #expect(try await node.waitForExit() == 0)
    }
}

enum InteropError: Error, CustomStringConvertible {
    case noVirtualenv(String)
    var description: String {
        switch self {
        case let .noVirtualenv(path): "\(path) is missing: run `make test`, which makes the virtualenv with the interop tools"
        }
    }
}
