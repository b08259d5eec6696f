import Foundation
import Logging
import MeshCore
@testable import MeshNode
import NIOCore
import NIOPosix
import Sodium
import Testing
import Wire

/// Issue 15, transport: a learned identity stays pinned, and strangers cannot hold the node's
/// handshakes.
@Suite(.serialized) struct TransportHostileTests {
    typealias Peer = TransportDiallingTests.Peer

    /// A server at `127.0.0.1` that answers the first bytes of every connection with one
    /// frame of junk (a hostile node making an IK dial fail). Returns its port and its channel.
    func junkServer() async throws -> (Int, NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return (server.channel.localAddress!.port!, server)
    }

    func answerWithJunk(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async throws {
        try await server.executeThenClose { inbound in
            for try await connection in inbound {
                try? await connection.executeThenClose { input, output in
                    for try await _ in input {
                        var frame = ByteBuffer()
                        frame.writeInteger(UInt32(96))
                        frame.writeBytes([UInt8](repeating: 7, count: 96))
                        try await output.write(frame)
                        break
                    }
                }
            }
        }
    }

    /// Waits until `done` holds or `limit` has passed.
    func wait(_ limit: Duration, until done: () -> Bool) async {
        let deadline = ContinuousClock.now + limit
        while !done(), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// After one failed IK dial to an unpinned `--peer` address, the next (XX) dial trusted
    /// whoever answered there, permanently. Now the identity learned there must answer.
    @Test func anIdentityLearnedAtAnAddressStaysPinnedAfterAFailedIK() async throws {
        let a = try Peer(seed: 1)
        let b = try Peer(seed: 2)  // never started: a met it at the address before
        let (port, junk) = try await junkServer()
        let address = HostPort(host: "127.0.0.1", port: port)
        a.transport.state.withLockedValue { $0.identityAt[address] = b.endpoint.nodeID }
        a.trust.trust(b.endpoint.nodeID, source: .address, noiseStatic: b.transport.noiseStatic.publicKey)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.answerWithJunk(junk) }
            // The IK dial meets junk: the remembered static key is forgotten.
            #expect(await a.transport.dialOnce(PeerAddress(address: address)) == false)
            #expect(a.trust.entry(b.endpoint.nodeID)?.noiseStatic == nil)
            try? await junk.channel.close()
            // Another node now answers at that address, and would accept a.
            var configuration = Transport.Configuration(listen: address)
            configuration.discovery = false
            let c = TransportDiallingTests.QuietEndpoint(seed: 3)
            let cTrust = try TrustStore(database: NodeDatabase(path: b.folder.file("c.sqlite").path))
            cTrust.trust(a.endpoint.nodeID, source: .pinned)
            let cTransport = Transport(configuration: configuration, endpoint: c, trust: cTrust, logger: Logger(label: "test-c"))
            let (ports, bound) = AsyncStream.makeStream(of: Int.self)
            group.addTask { try await cTransport.serve { port in bound.yield(port) } }
            for await _ in ports { break }
            group.addTask { _ = await a.transport.dialOnce(PeerAddress(address: address)) }
            await wait(.seconds(5)) { !a.transport.linkedPeers.isEmpty || a.transport.stats.linksRefused > 0 }
            #expect(a.transport.linkedPeers.isEmpty, "a linked with \(a.transport.linkedPeers.map(\.0.short))")
            #expect(a.transport.stats.linksRefused == 1)
            #expect(!a.trust.isTrusted(c.nodeID), "the node at the address changed: it is not trusted")
            group.cancelAll()
        }
    }

    /// The identity learned at an address is kept with it in the trust store: after a restart
    /// the address still expects it.
    @Test func anIdentityLearnedAtAnAddressIsStillPinnedAfterARestart() throws {
        let a = try Peer(seed: 1)
        let b = TransportDiallingTests.QuietEndpoint(seed: 2)
        let address = HostPort(host: "127.0.0.1", port: 7999)
        a.trust.trust(b.nodeID, source: .address, address: address)
        var configuration = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0), peers: [PeerAddress(address: address)])
        configuration.discovery = false
        let restarted = Transport(configuration: configuration, endpoint: a.endpoint,
                                  trust: try TrustStore(database: NodeDatabase(path: a.folder.file("db.sqlite").path)),
                                  logger: Logger(label: "test-restart"))
        #expect(restarted.state.withLockedValue { $0.identityAt[address] } == b.nodeID)
    }

    /// Opens a TCP connection from `source` to `port` that sends nothing (a handshake that
    /// never moves), and returns it.
    func silentConnection(from source: String, to port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Connections that never finish their handshake were unlimited: any device on the LAN
    /// could hold thousands. Now at most `maxHandshakesPerAddress` from one address and
    /// `maxHandshakes` in all are under way; the rest are closed at once, and a slot frees
    /// when its handshake ends.
    @Test func handshakesUnderWayAreLimitedInAllAndPerAddress() async throws {
        var configuration = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0))
        configuration.discovery = false
        configuration.maxHandshakes = 3
        configuration.maxHandshakesPerAddress = 2
        #expect(Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0)).maxHandshakes == 64)
        #expect(Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0)).maxHandshakesPerAddress == 4)
        let endpoint = TransportDiallingTests.QuietEndpoint(seed: 5)
        let folder = TemporaryFolder()
        let transport = Transport(configuration: configuration, endpoint: endpoint,
                                  trust: try TrustStore(database: NodeDatabase(path: folder.file("db.sqlite").path)),
                                  logger: Logger(label: "test-limits"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (ports, bound) = AsyncStream.makeStream(of: Int.self)
            group.addTask { try await transport.serve { port in bound.yield(port) } }
            var port = 0
            for await p in ports { port = p; break }
            func underWay() -> Int { transport.state.withLockedValue { $0.handshakeCount } }
            var held: [any Channel] = []
            for _ in 0..<2 { held.append(try await silentConnection(from: "127.0.0.1", to: port)) }
            await wait(.seconds(3)) { underWay() == 2 }
            #expect(underWay() == 2)
            // A third from the same address is closed at once.
            held.append(try await silentConnection(from: "127.0.0.1", to: port))
            await wait(.seconds(3)) { transport.stats.handshakesRefused == 1 }
            #expect(transport.stats.handshakesRefused == 1)
            // Another address still gets one: the total is then reached.
            held.append(try await silentConnection(from: "127.0.0.2", to: port))
            await wait(.seconds(3)) { underWay() == 3 }
            held.append(try await silentConnection(from: "127.0.0.3", to: port))
            await wait(.seconds(3)) { transport.stats.handshakesRefused == 2 }
            #expect(transport.stats.handshakesRefused == 2)
            #expect(underWay() == 3)
            // A handshake that ends (here: the peer leaves) frees its slot.
            try await held.removeFirst().close()
            await wait(.seconds(3)) { underWay() == 2 }
            #expect(underWay() == 2)
            held.append(try await silentConnection(from: "127.0.0.3", to: port))
            await wait(.seconds(3)) { underWay() == 3 }
            #expect(underWay() == 3 && transport.stats.handshakesRefused == 2)
            for connection in held { try? await connection.close() }
            group.cancelAll()
        }
    }
}
