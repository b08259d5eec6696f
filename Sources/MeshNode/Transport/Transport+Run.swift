import Foundation
import Logging
import MeshCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import Wire

extension Transport: Service {
    /// Binds the mesh port (TCP and UDP), accepts links, dials the explicit peers, until
    /// graceful shutdown or cancellation; then every link closes.
    public func run() async throws {
        let onBound = self.onBound
        do {
            try await cancelWhenGracefulShutdown { try await self.serve { port in await onBound?(port) } }
        } catch is CancellationError {
            // Graceful shutdown cancels the links and the listener: a clean stop.
        }
        logger.info("mesh stopped: every link closed")
    }

    /// Like `run`, calling `onBound` with the port once it is bound.
    public func serve(onBound: @escaping @Sendable (Int) async -> Void) async throws {
        let listen = configuration.listen
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: listen.host, port: listen.port) { channel in Self.wrap(channel) }
        } catch {
            throw TransportError.cannotListen(listen, reason: "\(error)")
        }
        let port = server.channel.localAddress?.port ?? listen.port
        let udp: Channel
        do {
            udp = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { [self] channel in channel.pipeline.addHandler(DatagramHandler(transport: self)) }
                .bind(host: listen.host, port: port).get()
        } catch {
            try? await server.channel.close()
            throw TransportError.cannotListen(HostPort(host: listen.host, port: port), reason: "UDP: \(error)")
        }
        state.withLockedValue {
            $0.boundPort = port
            $0.udpChannel = udp
        }
        logger.info("mesh listening", metadata: ["tcp+udp": "\(listen.host):\(port)"])
        await endpoint.attach(self)
        await onBound(port)
        if configuration.discovery { startDiscovery(port: port) }
        defer {
            udp.close(promise: nil)
            state.withLockedValue { $0.discovery }?.stop()
            // Links a pairing opened run outside this task group: finishing their outbound
            // outboxes closes them too.
            state.withLockedValue { s in for link in s.links.values { link.outbound.finish() } }
        }
        try await withThrowingDiscardingTaskGroup { group in
            for peer in configuration.peers { group.addTask { await self.dialLoop(peer) } }
            if configuration.discovery { group.addTask { await self.dialDiscovered() } }
            group.addTask { await self.redialPaired() }
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    let address = connection.channel.remoteAddress?.ipAddress ?? "?"
                    guard let slot = self.takeHandshakeSlot(from: address) else {
                        self.badInput.warning("handshakes", "connection closed: too many handshakes under way",
                                              metadata: ["from": "\(address)"])
                        try? await connection.executeThenClose { _, _ in }
                        continue
                    }
                    group.addTask { await self.runLink(connection, initiator: false, dialled: nil, handshakeSlot: slot) }
                }
            }
        }
    }

    /// Reads of up to 256 KB when the peer keeps the socket full (NIO's default stops at 64 KB):
    /// a bulk stream of 64 KB frames then takes a quarter of the reads, and frames arrive as
    /// slices of one buffer instead of being gathered from pieces of two.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 << 10)

    /// Every link's pipeline: frames in, frames out, behind an async channel with backpressure
    /// (reading pauses once 64 frames wait, resumes below 4).
    static func wrap(_ channel: Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> {
        channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(.recvAllocator, value: receiveBuffers)
            try channel.pipeline.syncOperations.addHandler(FrameDecoderHandler(maximumFrameBytes: LinkSession.maxNoiseMessage))
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                wrappingChannelSynchronously: channel,
                configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 64)))
        }
    }

    /// Dials `peer` and keeps a link to it: after a failure or a lost link, again after a delay
    /// that doubles from `backoffStart` to `backoffMax` (with ±50% jitter), reset once a link
    /// has held for ten seconds.
    func dialLoop(_ peer: PeerAddress) async {
        var delay = configuration.backoffStart
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let known = peer.pinned ?? state.withLockedValue { $0.identityAt[peer.address] }
            if let known, isLinked(known) {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let started = clock.now
            await dialOnce(peer)
            if clock.now - started > .seconds(10) { delay = configuration.backoffStart }
            let jitter = Double.random(in: 0.5...1.5)
            try? await Task.sleep(for: delay * jitter)
            delay = min(delay * 2, configuration.backoffMax)
        }
    }

    /// One attempt to link with `peer`: returns when the link is over (it lasts as long as the
    /// link does), true when a link had come up.
    @discardableResult
    public func dialOnce(_ peer: PeerAddress) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: peer.address.host, port: peer.address.port) { channel in Self.wrap(channel) }
            return await runLink(channel, initiator: true, dialled: peer)
        } catch {
            logger.debug("cannot reach peer", metadata: ["peer": "\(peer)", "reason": "\(error)"])
            return false
        }
    }

    func isLinked(_ peer: NodeID) -> Bool { state.withLockedValue { $0.links[peer] != nil } }

    // MARK: Discovery

    private func startDiscovery(port: Int) {
        let discovery = Discovery.start(me: endpoint.nodeID, port: port, txt: txtRecord(pairingTags: state.withLockedValue { $0.pairingTags }), logger: logger) {
            [weak self] found in
            self?.state.withLockedValue { $0.visible[found.serviceName] = found }
        } onLost: { [weak self] name in
            _ = self?.state.withLockedValue { $0.visible.removeValue(forKey: name) }
        }
        state.withLockedValue { $0.discovery = discovery }
    }

    /// TXT record: node ID, protocol version, and the rendezvous tags of the open pairing
    /// codes, comma-separated (at most 16 × 5 bytes, well inside a TXT string's 255).
    func txtRecord(pairingTags: [String]) -> [String: String] {
        ["id": endpoint.nodeID.description, "v": "\(ProtocolVersion.current)", "pair": pairingTags.joined(separator: ",")]
    }

    /// Announces the rendezvous tags of the open pairing codes (none withdraws them). Only
    /// updates mDNS when they changed.
    public func setPairingTags(_ tags: [String]) {
        let discovery = state.withLockedValue { s -> Discovery? in
            guard s.pairingTags != tags else { return nil }
            s.pairingTags = tags
            return s.discovery
        }
        discovery?.update(txt: txtRecord(pairingTags: tags))
    }

    /// Asks mDNS for every peer's current TXT record (answers arrive asynchronously).
    public func refreshDiscovery() { state.withLockedValue { $0.discovery }?.refresh() }

    /// A node on the LAN that announces `tag`, if mDNS shows one now.
    public func announcer(of tag: String) -> Discovery.Found? {
        visiblePeers.first { $0.pairingTags.contains(tag) }
    }

    /// Nodes on the LAN right now.
    public var visiblePeers: [Discovery.Found] {
        state.withLockedValue { s in s.visible.keys.sorted().map { s.visible[$0]! } }
    }

    /// Every two seconds, redials the peers this node paired with by dialling an address
    /// (kept in the trust store) that have no link: each with its own backoff, 1 s doubling
    /// to `backoffMax`. Explicit `--peer` addresses have their own loops.
    private func redialPaired() async {
        let explicit = Set(configuration.peers.map(\.address))
        await keepDialling {
            let now = ContinuousClock.now
            return self.state.withLockedValue { s in
                self.trust.all.compactMap { e -> PeerAddress? in
                    guard e.source == .paired, let address = e.address, !explicit.contains(address), s.links[e.node] == nil,
                          (s.redialAt[address]?.at ?? now) <= now else { return nil }
                    return PeerAddress(address: address, pinned: e.node)
                }
            }
        } ended: { peer, linked in
            self.state.withLockedValue { s in
                let delay = linked ? .seconds(1) : min((s.redialAt[peer.address]?.delay ?? .milliseconds(500)) * 2,
                                                      self.configuration.backoffMax)
                s.redialAt[peer.address] = (ContinuousClock.now + delay, delay)
            }
        }
    }

    /// Every two seconds, links with the trusted nodes mDNS shows that have no link yet.
    private func dialDiscovered() async {
        var round = 0
        await keepDialling {
            // Every 10 s, resolve again the services whose resolution failed (busy machines).
            round += 1
            if round % 5 == 0 { self.state.withLockedValue { $0.discovery }?.refresh(onlyUnresolved: true) }
            return self.state.withLockedValue { s in
                s.visible.values.compactMap { f -> PeerAddress? in
                    guard let id = f.node, s.links[id] == nil, self.trust.isTrusted(id) else { return nil }
                    return PeerAddress(address: f.address, pinned: id)
                }.sorted { $0.description < $1.description }
            }
        } ended: { _, _ in }
    }

    /// Every two seconds, dials each peer `due` names, each in a task of its own, skipping
    /// addresses a dial is already under way to; `ended` learns, once a dial and its link are
    /// over, whether a link had come up. One task per dial matters: a dial lasts as long as its
    /// link, so dialling one peer after another would never reach the second while the first
    /// link holds (two nodes that each linked a third first never linked each other).
    private func keepDialling(due: @escaping () -> [PeerAddress],
                              ended: @escaping @Sendable (PeerAddress, Bool) -> Void) async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                for peer in due() where state.withLockedValue({ $0.dialling.insert(peer.address).inserted }) {
                    group.addTask {
                        let linked = await self.dialOnce(peer)
                        _ = self.state.withLockedValue { $0.dialling.remove(peer.address) }
                        ended(peer, linked)
                    }
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}

/// Why the transport could not start.
public enum TransportError: Error, CustomStringConvertible {
    case cannotListen(HostPort, reason: String)

    public var description: String {
        switch self {
        case let .cannotListen(address, reason):
            "cannot listen for the mesh on \(address): \(reason). Is another node using that port? Pick another with --listen."
        }
    }
}
