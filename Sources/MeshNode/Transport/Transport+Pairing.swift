import Foundation
import MeshCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

extension Transport {
    /// Pairs with the node listening at `address` using `code`, as joiner (PROTOCOL.md
    /// section 10). On success both sides trust each other, and the link that carried the
    /// run stays up as an ordinary link; this node also remembers `address` to redial it.
    public func pair(at address: HostPort, code: OmniCode) async -> Result<PairingDesk.PairedPeer, PairingFailure> {
        await withCheckedContinuation { continuation in
            let attempt = JoinAttempt(code: code, address: address, continuation: continuation)
            Task {
                do {
                    let channel = try await ClientBootstrap(group: group)
                        .connectTimeout(.seconds(5))
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .connect(host: address.host, port: address.port) { channel in Self.wrap(channel) }
                    await runLink(channel, initiator: true, dialled: PeerAddress(address: address, pinned: nil), joining: attempt)
                    attempt.report(.failure(.incomplete))
                } catch {
                    attempt.report(.failure(.unreachable(Self.unreachable(address, error))))
                }
            }
        }
    }

    /// Why `address` could not be dialled, in the joiner's words: the address and what to check.
    static func unreachable(_ address: HostPort, _ error: any Error) -> String {
        let refused = (error as? NIOConnectionError)?.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED } ?? false
        if refused || (error as? IOError)?.errnoCode == ECONNREFUSED {
            return "nothing listens at \(address) (connection refused): check the inviter's mesh address (its --listen, port 7946 by default) and that its node runs"
        }
        if error is ChannelError || "\(error)".contains("connectTimeout") {
            return "\(address) did not answer within 5 seconds: check the address, and that no firewall is in the way"
        }
        return "cannot reach \(address): \(error)"
    }

    /// Runs one pairing exchange on an established link, as joiner when `joining` is set and
    /// as inviter otherwise. The endpoint decides each step; this moves the messages, within
    /// `pairingTimeout` as joiner and, as inviter, within the deadline the endpoint gave when
    /// it admitted the run (a refused run is told why and closed). Returns the paired peer or
    /// throws why not.
    func runPairing(joining: JoinAttempt?, peer hello: LinkHello, binding: [UInt8],
                    frames: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
                    outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, sealer: inout LinkSealer, opener: inout LinkOpener,
                    channel: Channel) async throws -> PairingDesk.PairedPeer {
        let me = endpoint.nodeID
        let pairing = joining == nil
            ? PairingChannel(joiner: hello.nodeID, inviter: me, binding: binding)
            : PairingChannel(joiner: me, inviter: hello.nodeID, binding: binding)
        let session = state.withLockedValue { s -> UInt64 in
            s.nextPairingSession += 1
            return s.nextPairingSession
        }
        func send(_ message: PairingMessage, sealer: inout LinkSealer) async throws {
            try await sendPairing(message, sealer: &sealer, outbound: outbound, channel: channel)
        }
        var within = configuration.pairingTimeout
        if joining == nil {
            switch await endpoint.pairingOpen(session: session, source: channel.remoteAddress?.ipAddress ?? "?") {
            case let .run(deadline):
                within = min(within, deadline)
            case let .refuse(refusal):
                try? await send(.result(PairResult(accepted: false, refusal: refusal.rawValue, message: refusal.message)), sealer: &sealer)
                throw PairingFailure.refused(refusal, message: refusal.message)
            }
        }
        let timeout = Task { [within] in
            try await Task.sleep(for: within)
            try await channel.close()
        }
        defer { timeout.cancel() }
        do {
            if let joining { try await send(await endpoint.pairingStart(code: joining.code, session: session, channel: pairing), sealer: &sealer) }
            while true {
                guard let buffer = try await frames.next() else { throw PairingFailure.incomplete }
                let opened = buffer.withUnsafeReadableBytes { raw -> Result<[[UInt8]], LinkError> in
                    do throws(LinkError) { return .success(try opener.open(raw)) } catch { return .failure(error) }
                }
                for bytes in try opened.get() {
                    let message = try MeshMessage(serialized: bytes)
                    guard case let .pair(p) = message else { throw PairingFailure.unexpected(message.kindName) }
                    let reply = await endpoint.pairingReceive(p, session: session, channel: pairing)
                    for m in reply.send { try await send(m, sealer: &sealer) }
                    switch reply.verdict {
                    case .continuing: continue
                    case let .paired(peer):
                        await endpoint.pairingEnded(session: session)
                        return peer
                    case let .failed(failure): throw failure
                    }
                }
            }
        } catch {
            await endpoint.pairingEnded(session: session)
            throw error
        }
    }

    /// Seals and writes one pairing message on a link that is not (yet) an ordinary one.
    func sendPairing(_ message: PairingMessage, sealer: inout LinkSealer, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                     channel: Channel) async throws {
        for frame in try sealer.seal(MeshMessage.pair(message).serialized()) {
            try await outbound.write(.frame(frame, allocator: channel.allocator))
        }
    }

    /// What a joiner reads when it dials to pair and the node it reached has no code open.
    static let noCodeOpen = "the node there has no pairing code open: ask its operator for a new one (elohim invite), and check the address"

    /// Takes one of `maxPairingLinks` slots for an inbound pairing link; false when all are taken.
    func takePairingSlot() -> Bool {
        state.withLockedValue { s in
            guard s.pairingLinks < configuration.maxPairingLinks else { return false }
            s.pairingLinks += 1
            return true
        }
    }

    func releasePairingSlot() { state.withLockedValue { $0.pairingLinks -= 1 } }
}

/// One `pair(at:code:)` call: reports its result exactly once, however the link ends.
final class JoinAttempt: Sendable {
    let code: OmniCode
    let address: HostPort
    private let continuation: NIOLockedValueBox<CheckedContinuation<Result<PairingDesk.PairedPeer, PairingFailure>, Never>?>

    init(code: OmniCode, address: HostPort, continuation: CheckedContinuation<Result<PairingDesk.PairedPeer, PairingFailure>, Never>) {
        self.code = code
        self.address = address
        self.continuation = NIOLockedValueBox(continuation)
    }

    func report(_ result: Result<PairingDesk.PairedPeer, PairingFailure>) {
        let waiting = continuation.withLockedValue { c -> CheckedContinuation<Result<PairingDesk.PairedPeer, PairingFailure>, Never>? in
            defer { c = nil }
            return c
        }
        waiting?.resume(returning: result)
    }
}
