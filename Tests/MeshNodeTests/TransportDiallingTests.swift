import Foundation
import Logging
import MeshCore
@testable import MeshNode
import Sodium
import Testing
import Wire

/// The transport's dialling loops over loopback, three transports in one process.
@Suite struct TransportDiallingTests {
    /// A dial lasts as long as its link. A node that dialled its paired peers one after the
    /// other stayed with the first and never reached the second (the LAN test's flake: two
    /// nodes that had each linked a third first never linked each other).
    @Test func aRestartedNodeRedialsEveryPairedPeerNotOnlyTheFirst() async throws {
        let a = try Peer(seed: 1), b = try Peer(seed: 2), c = try Peer(seed: 3)
        // b and c know a but have no address for it: only a can dial.
        b.trust.trust(a.endpoint.nodeID, source: .pinned)
        c.trust.trust(a.endpoint.nodeID, source: .pinned)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let portB = try await b.start(in: &group), portC = try await c.start(in: &group)
            a.trust.trust(b.endpoint.nodeID, source: .paired, address: HostPort(host: "127.0.0.1", port: portB))
            a.trust.trust(c.endpoint.nodeID, source: .paired, address: HostPort(host: "127.0.0.1", port: portC))
            _ = try await a.start(in: &group)
            let linked = await a.waitForLinks(2, within: .seconds(20))
            group.cancelAll()
            #expect(linked.map(\.0) == [b.endpoint.nodeID, c.endpoint.nodeID].sorted(),
                    "a should hold a link to each paired peer; it holds \(linked.map(\.0.short))")
        }
    }

    /// One transport with its own database, on a loopback port of the system's choosing,
    /// without mDNS.
    final class Peer: Sendable {
        let endpoint: QuietEndpoint
        let trust: TrustStore
        let transport: Transport
        let folder = TemporaryFolder()

        init(seed: UInt8) throws {
            endpoint = QuietEndpoint(seed: seed)
            trust = try TrustStore(database: NodeDatabase(path: folder.file("db.sqlite").path))
            var configuration = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0))
            configuration.discovery = false
            transport = Transport(configuration: configuration, endpoint: endpoint, trust: trust,
                                  logger: Logger(label: "test-\(seed)"))
        }

        /// Starts serving in `group`; returns the bound port.
        func start(in group: inout ThrowingTaskGroup<Void, any Error>) async throws -> Int {
            let (ports, bound) = AsyncStream.makeStream(of: Int.self)
            group.addTask { try await self.transport.serve { port in bound.yield(port) } }
            for await port in ports { return port }
            throw CancellationError()
        }

        /// The links held once `count` are up, or when `within` has passed.
        func waitForLinks(_ count: Int, within limit: Duration) async -> [(NodeID, String?)] {
            let deadline = ContinuousClock.now + limit
            while transport.linkedPeers.count < count, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            }
            return transport.linkedPeers
        }
    }

    /// An endpoint that takes links and ignores messages.
    final class QuietEndpoint: MeshEndpoint {
        let identity: Ed25519KeyPair
        let nodeID: NodeID

        init(seed: UInt8) {
            identity = Ed25519KeyPair(seed: [UInt8](repeating: seed, count: 32))!
            nodeID = NodeID(publicKey: identity.publicKey)
        }

        func attach(_ transport: Transport) async {}
        func linkEstablished(_ peer: NodeID) async {}
        func linkLost(_ peer: NodeID) async {}
        func receiveFromPeer(_ message: MeshMessage, from peer: NodeID) async {}
    }
}
