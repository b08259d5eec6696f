import Foundation
import MeshCore
import NIOCore
import Wire

extension Transport {
    /// Sends `message` to `peer`: liveness probes as sealed datagrams when the peer listens for
    /// them, everything else (and probes otherwise) on the peer's link. Without a link the
    /// message is dropped: the core's anti-entropy recovers what matters.
    public func send(_ message: MeshMessage, to peer: NodeID) {
        let envelope = message.serialized()
        if message.isLivenessProbe, sendDatagram(envelope, to: peer) { return }
        state.withLockedValue { s in
            guard let link = s.links[peer] else { return }
            if !link.outbound.push(envelope) { s.dropped += 1 }
        }
    }

    private func sendDatagram(_ envelope: [UInt8], to peer: NodeID) -> Bool {
        let prepared: (Channel, SocketAddress, [UInt8])? = state.withLockedValue { s in
            guard let channel = s.udpChannel, var link = s.links[peer], let address = link.udp,
                  let datagram = link.sealer?.seal(envelope) else { return nil }
            s.links[peer] = link
            _ = link
            return (channel, address, datagram)
        }
        guard let (channel, address, datagram) = prepared else { return false }
        var buffer = channel.allocator.buffer(capacity: datagram.count)
        buffer.writeBytes(datagram)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        count { $0.datagramsSent += 1; $0.bytesSent += datagram.count }
        return true
    }

    /// A datagram arrived: open it with its sender's keys; drop (and log, rate-limited) what
    /// does not open.
    func receiveDatagram(_ bytes: [UInt8], from address: SocketAddress) {
        count { $0.datagramsReceived += 1; $0.bytesReceived += bytes.count }
        guard let sender = Datagram.sender(of: bytes) else {
            badInput.warning("datagram", "unreadable datagram dropped", metadata: ["from": "\(address)"])
            return
        }
        let opened: [UInt8]? = state.withLockedValue { s in
            guard var link = s.links[sender], var opener = link.opener else { return nil }
            let plain = opener.open(bytes)
            link.opener = opener
            s.links[sender] = link
            return plain
        }
        guard let opened, let message = try? MeshMessage(serialized: opened) else {
            badInput.warning("datagram", "datagram that does not open dropped", metadata: ["from": "\(address)"])
            return
        }
        Task { await endpoint.receiveFromPeer(message, from: sender) }
    }
}

/// Reads datagrams off the UDP socket into the transport.
final class DatagramHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let transport: Transport

    init(transport: Transport) {
        self.transport = transport
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        transport.receiveDatagram(Array(buffer: envelope.data), from: envelope.remoteAddress)
    }
}

extension MeshMessage {
    /// Liveness probes: small, frequent, and the one thing that must not queue behind bulk
    /// data, so they go by datagram.
    var isLivenessProbe: Bool {
        switch self {
        case .ping, .ack, .pingReq, .indirectAck, .suspect, .alive: true
        default: false
        }
    }
}
