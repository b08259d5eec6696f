import Foundation
import Logging
import MeshCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Sodium
import Wire

/// The node's links (DESIGN.md section 1, "Transport"): TCP for everything, sealed UDP
/// datagrams for liveness probes, Noise on every link (PROTOCOL.md section 9).
///
/// Rules it keeps:
/// - a link carries frames of at most one Noise message (65,535 bytes); a larger length prefix,
///   a frame that does not authenticate, or any other protocol error closes that link, with a
///   rate-limited log line, and the node keeps serving;
/// - an inbound link from an identity the trust store does not hold is refused; an outbound
///   link to a pinned identity must reach exactly that identity;
/// - one link per peer: when both sides dial, the link started by the smaller node ID stays;
/// - a slow peer holds at most `outboundQueue` messages; beyond that new messages to it are
///   dropped (and counted), so it cannot grow this node's memory;
/// - explicit peers are redialled with exponential backoff (0.5 s doubling to 30 s, jittered);
/// - at most `maxHandshakes` inbound connections are in their handshake at once, and at most
///   `maxHandshakesPerAddress` from one IP address; a connection beyond either is closed at
///   once (counted as `handshakesRefused`), so strangers cannot hold the node's handshakes.
public final class Transport: Sendable {
    public struct Configuration: Sendable {
        public var listen: HostPort
        public var peers: [PeerAddress]
        public var maxLinks = 64
        public var outboundQueue = 256
        public var handshakeTimeout: Duration = .seconds(10)
        public var backoffStart: Duration = .milliseconds(500)
        public var backoffMax: Duration = .seconds(30)
        /// Publish and browse `_elohim._tcp` through Avahi.
        public var discovery = true
        /// A pairing run (after the Noise handshake) must finish within this.
        public var pairingTimeout: Duration = .seconds(30)
        /// Inbound links pairing at once; more are refused until one ends. The node's
        /// `PairingDesk` decides who may pair (one run per address, each within 5 s); this only
        /// backs it up, so it is no tighter.
        public var maxPairingLinks = PairingDesk.maxSessions
        /// Inbound connections in their Noise handshake at once (each lasts at most
        /// `handshakeTimeout`): as many as the node has links, so every peer can reconnect at once.
        public var maxHandshakes = 64
        /// Inbound connections in their handshake at once from one IP address: a node dials
        /// each address once at a time, so 4 leaves room for a redial and a pairing.
        public var maxHandshakesPerAddress = 4

        public init(listen: HostPort, peers: [PeerAddress] = []) {
            self.listen = listen
            self.peers = peers
        }
    }

    struct LinkHandle: Sendable {
        var id: UInt64
        var peer: NodeID
        var initiator: NodeID
        var outbound: LinkOutbox
        var remote: SocketAddress?
        var udp: SocketAddress?
        var sealer: DatagramSealer?
        var opener: DatagramOpener?
        var since: ContinuousClock.Instant
    }

    struct State: Sendable {
        var links: [NodeID: LinkHandle] = [:]
        var nextLinkID: UInt64 = 0
        var identityAt: [HostPort: NodeID] = [:]
        var boundPort: Int?
        var udpChannel: Channel?
        var dropped = 0
        /// Nodes seen on the LAN by mDNS, by service name.
        var visible: [String: Discovery.Found] = [:]
        var discovery: Discovery?
        var pairingTags: [String] = []
        var nextPairingSession: UInt64 = 0
        var pairingLinks = 0
        /// Inbound handshakes under way, by remote IP address.
        var handshakes: [String: Int] = [:]
        var handshakeCount = 0
        /// When each paired address may be redialled next (backoff), by address.
        var redialAt: [HostPort: (at: ContinuousClock.Instant, delay: Duration)] = [:]
        /// Addresses a discovery or redial dial is under way to (its link may be up).
        var dialling: Set<HostPort> = []
        var stats = TransportStats()
    }

    /// What crossed the wire since the transport started (frame bodies plus their 4-byte
    /// length; datagrams whole).
    public struct TransportStats: Sendable, Equatable, Codable {
        public var bytesSent = 0
        public var bytesReceived = 0
        public var framesSent = 0
        public var framesReceived = 0
        public var datagramsSent = 0
        public var datagramsReceived = 0
        public var messagesDropped = 0
        public var linksOpened = 0
        public var linksRefused = 0
        public var pairingsSucceeded = 0
        public var pairingsFailed = 0
        /// Inbound connections closed at once: too many handshakes under way (in all, or from
        /// one address).
        public var handshakesRefused = 0
    }

    public let configuration: Configuration
    let endpoint: any MeshEndpoint
    let trust: TrustStore
    let noiseStatic: NoiseKeyPair
    let logger: Logger
    let badInput: RateLimitedLog
    let state = NIOLockedValueBox(State())
    let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    let onBound: (@Sendable (Int) async -> Void)?

    /// - Parameter onBound: called with the mesh port once it is bound (for the start banner).
    public init(configuration: Configuration, endpoint: any MeshEndpoint, trust: TrustStore, logger: Logger,
                onBound: (@Sendable (Int) async -> Void)? = nil) {
        self.configuration = configuration
        self.onBound = onBound
        self.endpoint = endpoint
        self.trust = trust
        self.logger = logger
        badInput = RateLimitedLog(logger: logger)
        // The Noise static key follows from the identity (a domain-separated hash of its seed),
        // so it needs no file of its own; the handshake's signature still binds the two.
        noiseStatic = NoiseKeyPair(privateKey: BLAKE2b.hash(Array("elohim/noise-static/v1".utf8), outputLength: 32,
                                                            key: endpoint.identity.seed))
        for peer in configuration.peers { if let id = peer.pinned { trust.trust(id, source: .pinned) } }
        // Identities learned at `--peer` addresses in earlier runs stay pinned there.
        state.withLockedValue { s in
            for e in trust.all where e.source == .address { if let address = e.address { s.identityAt[address] = e.node } }
        }
    }

    /// The TCP (and UDP) port bound, once `start` has bound it.
    public var boundPort: Int? { state.withLockedValue { $0.boundPort } }

    /// Peers with a link now, with the address they were reached at.
    public var linkedPeers: [(NodeID, String?)] {
        state.withLockedValue { s in s.links.values.sorted { $0.peer < $1.peer }.map { ($0.peer, $0.remote.map(Self.text)) } }
    }

    public var stats: TransportStats {
        state.withLockedValue { s in
            var out = s.stats
            out.messagesDropped = s.dropped
            return out
        }
    }

    func count(_ body: (inout TransportStats) -> Void) { state.withLockedValue { body(&$0.stats) } }

    /// `192.168.1.4:7946` or `[fe80::1]:7946`.
    static func text(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// One inbound handshake's place in the transport's limits; released once, when the handshake
/// is over (however it ends).
final class HandshakeSlot: Sendable {
    private let address: String
    private let released = NIOLockedValueBox(false)
    private let transport: Transport

    init(address: String, transport: Transport) {
        self.address = address
        self.transport = transport
    }

    func release() {
        guard released.withLockedValue({ done in defer { done = true }; return !done }) else { return }
        transport.state.withLockedValue { s in
            s.handshakeCount -= 1
            s.handshakes[address, default: 1] -= 1
            if s.handshakes[address] == 0 { s.handshakes[address] = nil }
        }
    }
}

extension Transport {
    /// A slot for an inbound handshake from `address`, or nil when `maxHandshakes` are under
    /// way, or `maxHandshakesPerAddress` from that address (counted as refused).
    func takeHandshakeSlot(from address: String) -> HandshakeSlot? {
        let taken = state.withLockedValue { s -> Bool in
            guard s.handshakeCount < configuration.maxHandshakes,
                  s.handshakes[address, default: 0] < configuration.maxHandshakesPerAddress else {
                s.stats.handshakesRefused += 1
                return false
            }
            s.handshakeCount += 1
            s.handshakes[address, default: 0] += 1
            return true
        }
        return taken ? HandshakeSlot(address: address, transport: self) : nil
    }
}
