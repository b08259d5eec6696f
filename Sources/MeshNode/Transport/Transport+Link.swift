import Foundation
import Logging
import MeshCore
import NIOCore
import Sodium
import Wire

extension Transport {
    /// One link from connection to close: handshake (with a deadline), trust check, then a
    /// reader and a writer until either ends.
    ///
    /// When `joining` is set, the link is dialled marked `.pairing` and first runs a pairing
    /// exchange as joiner; an inbound link marked `.pairing` runs one as inviter, whether or
    /// not its peer is trusted or linked already (`LinkStart` decides). A pairing that
    /// succeeds leaves the link up as an ordinary link.
    ///
    /// Returns once the link is over: true when it had come up (registered), false when it
    /// failed or was refused before that.
    @discardableResult
    func runLink(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, initiator: Bool, dialled: PeerAddress?,
                 joining: JoinAttempt? = nil, handshakeSlot: HandshakeSlot? = nil) async -> Bool {
        // An inbound handshake holds its slot until it is over, however it ends.
        defer { handshakeSlot?.release() }
        var established = false
        var handshook = false
        let remote = connection.channel.remoteAddress
        let where_ = dialled?.description ?? remote.map(Self.text) ?? "?"
        let deadline = Task {
            try await Task.sleep(for: configuration.handshakeTimeout)
            try await connection.channel.close()
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                var (session, expected) = try makeSession(initiator: initiator, dialled: dialled, purpose: joining == nil ? .link : .pairing)
                if initiator { try await outbound.write(.frame(try session.firstFrame(), allocator: connection.channel.allocator)) }
                var peerHello: LinkHello?
                while peerHello == nil {
                    guard let buffer = try await frames.next() else { throw LinkClosed.duringHandshake }
                    let step: LinkSession.Step
                    do { step = try session.receive(Array(buffer: buffer)) } catch {
                        if initiator, session.pattern == .ik, let expected { forgetIK(expected, dialled: dialled) }
                        throw error
                    }
                    switch step {
                    case let .reply(frame):
                        if !frame.isEmpty { try await outbound.write(.frame(frame, allocator: connection.channel.allocator)) }
                    case let .established(hello, reply):
                        if let reply { try await outbound.write(.frame(reply, allocator: connection.channel.allocator)) }
                        peerHello = hello
                    case .messages:
                        throw LinkSessionFailure.unexpected
                    }
                }
                deadline.cancel()
                handshakeSlot?.release()
                handshook = true
                let hello = peerHello!
                guard var (sealer, opener) = session.halves, let keys = session.datagramKeys,
                      let binding = session.channelBinding else { return }
                let trusted = trust.isTrusted(hello.nodeID)
                // Asked only when it matters: the endpoint is an actor, and most links are ordinary.
                let answers = !initiator && (hello.purpose == .pairing || !trusted) ? await endpoint.acceptsPairing() : false
                let start = LinkStart.decide(initiator: initiator, joining: joining != nil, peerPurpose: hello.purpose,
                                             selfLink: hello.nodeID == endpoint.nodeID, peerTrusted: trusted, answersPairing: answers)
                switch start {
                case .pairAsJoiner:
                    guard let joining else { throw LinkRefusal.start(.responderPurpose) }
                    let paired = try await runPairing(joining: joining, peer: hello, binding: binding, frames: &frames,
                                                      outbound: outbound, sealer: &sealer, opener: &opener, channel: connection.channel)
                    trust.trust(hello.nodeID, source: .paired, noiseStatic: session.remoteStatic, address: joining.address)
                    count { $0.pairingsSucceeded += 1 }
                    joining.report(.success(paired))
                case .pairAsInviter:
                    guard takePairingSlot() else { throw LinkRefusal.pairingBusy }
                    defer { releasePairingSlot() }
                    _ = try await runPairing(joining: nil, peer: hello, binding: binding, frames: &frames, outbound: outbound,
                                             sealer: &sealer, opener: &opener, channel: connection.channel)
                    trust.trust(hello.nodeID, source: .paired, noiseStatic: session.remoteStatic)
                    count { $0.pairingsSucceeded += 1 }
                case let .refusePairing(refusal):
                    // Told why, so the joiner's user reads more than "the link closed".
                    try? await sendPairing(.result(PairResult(accepted: false, refusal: refusal.rawValue, message: Self.noCodeOpen)),
                                           sealer: &sealer, outbound: outbound, channel: connection.channel)
                    throw LinkRefusal.noCodeOpen
                case .ordinary:
                    try admit(hello, session: session, initiator: initiator, expected: expected, dialled: dialled)
                case let .refuse(refusal):
                    throw LinkRefusal.start(refusal)
                }
                let (linkID, outbox) = try register(hello, initiator: initiator, remote: remote, keys: keys)
                established = true
                defer { Task { await self.unregister(hello.nodeID, linkID: linkID) } }
                count { $0.linksOpened += 1 }
                logger.info("link up", metadata: ["peer": "\(hello.nodeID.short)", "at": "\(where_)",
                                                  "noise": "\(session.pattern?.rawValue ?? "?")"])
                await endpoint.linkEstablished(hello.nodeID)
                try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
                    try await pump(peer: hello.nodeID, frames: &frames, outbound: outbound, outbox: outbox, sealer: sealer,
                                   opener: opener, channel: connection.channel)
                }
            }
        } catch is CancellationError {
            joining?.report(.failure(.incomplete))
        } catch let failure as PairingFailure {
            count { $0.pairingsFailed += 1 }
            joining?.report(.failure(failure))
            badInput.warning("pairing", "pairing failed: \(failure)", metadata: ["at": "\(where_)"])
        } catch LinkRefusal.duplicate(let peer) {
            logger.debug("second link to a peer closed: one link per peer", metadata: ["peer": "\(peer.short)"])
        } catch let refusal as LinkRefusal {
            joining?.report(.failure(.unreachable("the link to \(where_) was refused: \(refusal)")))
            count { $0.linksRefused += 1 }
            badInput.warning("refused", "link refused: \(refusal)", metadata: ["at": "\(where_)"])
        } catch {
            // A joiner whose link never got past the handshake dialled something that is not a
            // node's mesh port (most often the HTTP port).
            let what = joining != nil && !handshook
                ? "\(where_) did not answer as an elohim node's mesh port (is it the HTTP port?): give the inviter's mesh address, its --listen, port 7946 by default"
                : "the link to \(where_) failed: \(error)"
            joining?.report(.failure(.unreachable(what)))
            badInput.warning("link-error", "link closed: \(error)", metadata: ["at": "\(where_)"])
        }
        deadline.cancel()
        return established
    }

    /// A joiner's link is marked `.pairing` and always runs XX: CPace binds the run to a
    /// handshake whose every key was fresh, and a stale static key for the address must not
    /// fail a join that a first contact would pass.
    private func makeSession(initiator: Bool, dialled: PeerAddress?, purpose: LinkPurpose) throws -> (LinkSession, NodeID?) {
        let port = UInt16(clamping: state.withLockedValue { $0.boundPort } ?? 0)
        let hello = LinkHello(identity: endpoint.identity, noiseStatic: noiseStatic.publicKey, listenPort: port, purpose: purpose)
        let ephemeral = Sodium.randomBytes(count: 32)
        guard initiator, let dialled else {
            return (LinkSession(responderWith: hello, noiseStatic: noiseStatic, ephemeralPrivateKey: ephemeral), nil)
        }
        let expected = dialled.pinned ?? state.withLockedValue { $0.identityAt[dialled.address] }
        let known = purpose == .pairing ? nil : expected.flatMap { trust.entry($0)?.noiseStatic }
        return (try LinkSession(initiatorWith: hello, noiseStatic: noiseStatic, ephemeralPrivateKey: ephemeral,
                                knownResponderStatic: known), expected)
    }

    /// An IK handshake failed: the peer may have a new static key. The next attempt uses XX,
    /// but to the same node ID: the identity learned at an unpinned `--peer` address stays
    /// pinned (else whoever answers after one failed IK would be trusted, permanently).
    private func forgetIK(_ peer: NodeID, dialled: PeerAddress?) {
        trust.forgetStatic(peer)
    }

    /// The trust rules: no link to oneself; a dial must reach the identity pinned for it, or
    /// the one learned at that address before; an inbound link must come from a trusted
    /// identity; an explicitly dialled address teaches who is there (once).
    private func admit(_ hello: LinkHello, session: LinkSession, initiator: Bool, expected: NodeID?,
                       dialled: PeerAddress?) throws {
        let peer = hello.nodeID
        guard peer != endpoint.nodeID else { throw LinkRefusal.selfLink }
        if initiator, let dialled {
            if let pinned = dialled.pinned, pinned != peer { throw LinkRefusal.wrongIdentity(expected: pinned, found: peer) }
            if let learned = expected, learned != peer {
                throw LinkRefusal.identityChanged(address: dialled.address, learned: learned, found: peer)
            }
            state.withLockedValue { $0.identityAt[dialled.address] = peer }
            // An identity learned at an address is remembered with it: it stays pinned there
            // across restarts too.
            trust.trust(peer, source: dialled.pinned == nil ? .address : .pinned, noiseStatic: session.remoteStatic,
                        address: dialled.pinned == nil ? dialled.address : nil)
        } else {
            guard trust.isTrusted(peer) else { throw LinkRefusal.unknownIdentity(peer) }
            trust.trust(peer, source: trust.entry(peer)!.source, noiseStatic: session.remoteStatic)
        }
    }

    /// Records the link, keeping one per peer: the one the smaller node ID started.
    private func register(_ hello: LinkHello, initiator: Bool, remote: SocketAddress?,
                          keys: (send: [UInt8], receive: [UInt8])) throws -> (UInt64, LinkOutbox) {
        let peer = hello.nodeID
        let starter = initiator ? endpoint.nodeID : peer
        let outbox = LinkOutbox(capacity: configuration.outboundQueue)
        var udp = remote
        if hello.listenPort > 0 { udp?.port = Int(hello.listenPort) } else { udp = nil }
        return try state.withLockedValue { s in
            if let existing = s.links[peer] {
                if existing.initiator < starter || (existing.initiator != starter && s.links.count > configuration.maxLinks) {
                    throw LinkRefusal.duplicate(peer)
                }
                existing.outbound.finish()
            }
            guard s.links[peer] != nil || s.links.count < configuration.maxLinks else { throw LinkRefusal.tooManyLinks }
            s.nextLinkID += 1
            s.links[peer] = LinkHandle(id: s.nextLinkID, peer: peer, initiator: starter, outbound: outbox,
                                       remote: remote, udp: udp, sealer: DatagramSealer(key: keys.send, sender: endpoint.nodeID),
                                       opener: DatagramOpener(key: keys.receive), since: ContinuousClock.now)
            return (s.nextLinkID, outbox)
        }
    }

    func unregister(_ peer: NodeID, linkID: UInt64) async {
        let wasCurrent = state.withLockedValue { s -> Bool in
            guard s.links[peer]?.id == linkID else { return false }
            s.links[peer] = nil
            return true
        }
        if wasCurrent {
            logger.info("link down", metadata: ["peer": "\(peer.short)"])
            await endpoint.linkLost(peer)
        }
    }

    /// Envelope bytes sealed and written at once (see `LinkOutbox.take`).
    static let writeBatchBytes = 480 << 10

    /// Moves messages both ways until the peer closes, the outbox is finished (a newer link
    /// replaced this one, or shutdown), or a frame fails. The writer runs as a child task; when
    /// its outbox ends it closes the channel, which ends the reading here.
    private func pump(peer: NodeID, frames: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
                      outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, outbox: LinkOutbox,
                      sealer: LinkSealer, opener: LinkOpener, channel: Channel) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The writer seals on the cooperative pool, the reader opens on the channel's
            // event loop (the caller's preference): a link moving bulk both ways, or two links
            // whose channels share a loop, keep both cores busy.
            group.addTask(executorPreference: globalConcurrentExecutor) {
                var sealer = sealer
                defer { channel.close(promise: nil) }
                for await _ in outbox.wakeUps {
                    var frames: [ByteBuffer] = []
                    // Popped, so each envelope's array is held once (see `frames(sealing:)`).
                    var batch = outbox.take(upToBytes: Self.writeBatchBytes)
                    batch.reverse()
                    while let envelope = batch.popLast() {
                        frames += try ByteBuffer.frames(sealing: envelope, with: &sealer, allocator: channel.allocator)
                    }
                    guard !frames.isEmpty else { continue }
                    try await outbound.write(contentsOf: frames)
                    self.count { s in
                        s.framesSent += frames.count
                        s.bytesSent += frames.reduce(0) { $0 + $1.readableBytes }
                    }
                }
            }
            var opener = opener
            while let buffer = try await frames.next() {
                count { $0.framesReceived += 1; $0.bytesReceived += buffer.readableBytes + 4 }
                let opened = buffer.withUnsafeReadableBytes { raw -> Result<[[UInt8]], LinkError> in
                    do throws(LinkError) { return .success(try opener.open(raw)) } catch { return .failure(error) }
                }
                for message in try opened.get() {
                    do {
                        await endpoint.receiveFromPeer(try MeshMessage(serialized: message), from: peer)
                    } catch WireError.unknownKind(let kind) {
                        logger.debug("unknown message kind dropped", metadata: ["kind": "\(kind)", "peer": "\(peer.short)"])
                    }
                }
            }
            group.cancelAll()
        }
    }
}

enum LinkClosed: Error, CustomStringConvertible {
    case duringHandshake
    var description: String { "the peer closed the link during the handshake" }
}

enum LinkSessionFailure: Error, CustomStringConvertible {
    case unexpected
    var description: String { "a message arrived before the handshake completed" }
}

/// Why a link was refused after its handshake.
enum LinkRefusal: Error, CustomStringConvertible {
    case selfLink
    case wrongIdentity(expected: NodeID, found: NodeID)
    case unknownIdentity(NodeID)
    case duplicate(NodeID)
    case tooManyLinks
    case pairingBusy
    case noCodeOpen
    case start(LinkStart.Refusal)
    case identityChanged(address: HostPort, learned: NodeID, found: NodeID)

    var description: String {
        switch self {
        case .selfLink: "the address leads back to this node"
        case let .wrongIdentity(expected, found): "expected node \(expected) there, found \(found)"
        case let .unknownIdentity(id): "node \(id) is not trusted: pair with it, or give it with --peer"
        case let .duplicate(id): "a link to \(id.short) already exists"
        case .tooManyLinks: "the link limit is reached"
        case .pairingBusy: "too many pairings at once; try again in a few seconds"
        case .noCodeOpen: "a node came to pair, but no pairing code is open here"
        case let .start(refusal): refusal.description
        case let .identityChanged(address, learned, found):
            "node \(learned) answered at \(address) before, \(found) now: if \(found.short) is right, give --peer \(found)@\(address)"
        }
    }
}
