import Sodium
import Wire

/// UDP datagrams between linked peers (PROTOCOL.md section 9.3), sealed with keys derived from
/// the link's Noise handshake: version (1 byte) ‖ sender node ID (20) ‖ counter (8, big-endian)
/// ‖ ChaCha20-Poly1305 of one envelope, with the first 29 bytes as associated data.
public enum Datagram {
    public static let version: UInt8 = 1
    public static let headerBytes = 29
    /// Largest datagram this node sends or reads (a safe UDP payload on any LAN).
    public static let maxBytes = 1200

    /// The sender a datagram claims, to pick the keys that open it.
    public static func sender(of datagram: [UInt8]) -> NodeID? {
        guard datagram.count > headerBytes, datagram[0] == version else { return nil }
        return NodeID(bytes: Array(datagram[1..<21]))
    }
}

/// Seals datagrams to one peer: one key, a counter that never repeats.
public struct DatagramSealer: Sendable {
    let key: [UInt8]
    let sender: NodeID
    private var counter: UInt64 = 0

    public init(key: [UInt8], sender: NodeID) {
        self.key = key
        self.sender = sender
    }

    /// The datagram carrying `envelope`; nil when it would exceed `Datagram.maxBytes`.
    public mutating func seal(_ envelope: [UInt8]) -> [UInt8]? {
        guard Datagram.headerBytes + envelope.count + ChaChaPoly.tagByteCount <= Datagram.maxBytes else { return nil }
        counter += 1
        let header = [Datagram.version] + sender.bytes + withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let nonce = [0, 0, 0, 0] + withUnsafeBytes(of: counter.littleEndian) { Array($0) }
        return header + ChaChaPoly.seal(envelope, key: key, nonce: nonce, ad: header)
    }
}

/// Opens datagrams from one peer, refusing forgeries and replays (a 64-counter window).
public struct DatagramOpener: Sendable {
    let key: [UInt8]
    private var highest: UInt64 = 0
    private var window: UInt64 = 0

    public init(key: [UInt8]) {
        self.key = key
    }

    public mutating func open(_ datagram: [UInt8]) -> [UInt8]? {
        guard datagram.count > Datagram.headerBytes + ChaChaPoly.tagByteCount, datagram.count <= Datagram.maxBytes,
              datagram[0] == Datagram.version else { return nil }
        let counter = datagram[21..<29].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard counter > 0, !seen(counter) else { return nil }
        let header = Array(datagram[0..<Datagram.headerBytes])
        let nonce = [0, 0, 0, 0] + withUnsafeBytes(of: counter.littleEndian) { Array($0) }
        guard let plaintext = ChaChaPoly.open(Array(datagram[Datagram.headerBytes...]), key: key, nonce: nonce, ad: header)
        else { return nil }
        mark(counter)
        return plaintext
    }

    private func seen(_ c: UInt64) -> Bool {
        if c > highest { return false }
        let age = highest - c
        return age >= 64 || window & (1 << age) != 0
    }

    private mutating func mark(_ c: UInt64) {
        if c > highest {
            let shift = c - highest
            window = shift >= 64 ? 0 : window << shift
            highest = c
        }
        window |= 1 << (highest - c)
    }
}
