import MeshCore
import Sodium
import Wire

/// The record of one run. Every event goes into a BLAKE2b-256 digest in a fixed binary form,
/// and, when asked, into human-readable lines; the digest is the same whether or not lines are
/// written, so a trace file can be made after the fact for any seed.
public final class TraceRecorder {
    private let hasher = BLAKE2b(outputLength: 32)
    private var buffer: [UInt8] = []
    private let lineSink: ((String) -> Void)?
    public private(set) var records = 0

    /// - Parameter lines: receives one line per event when given (for `--trace OUT`).
    public init(lines: ((String) -> Void)? = nil) {
        self.lineSink = lines
        buffer.reserveCapacity(1 << 16)
    }

    var wantsLines: Bool { lineSink != nil }

    /// Adds one event: `fields` feed the digest, `line` (built only when lines are wanted) the text.
    func record(_ tag: UInt8, at time: Int64, _ fields: [Int64], line: @autoclosure () -> String) {
        records += 1
        buffer.append(tag)
        append(time)
        for f in fields { append(f) }
        if buffer.count >= 1 << 16 { flush() }
        if let lineSink { lineSink(Self.timestamp(time) + "  " + line()) }
    }

    /// The digest of everything recorded so far, as 64 hex digits. Ends the recording.
    public func finish() -> String {
        flush()
        return Hex.encode(hasher.finalize())
    }

    private func append(_ v: Int64) {
        var x = UInt64(bitPattern: v)
        for _ in 0..<8 {
            buffer.append(UInt8(truncatingIfNeeded: x))
            x >>= 8
        }
    }

    private func flush() {
        hasher.update(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    static func timestamp(_ ns: Int64) -> String {
        let s = Instant(nanoseconds: ns).description
        return String(repeating: " ", count: max(0, 14 - s.count)) + s
    }
}

/// Tags of the binary trace records (stable: changing one changes every digest).
enum TraceTag {
    static let scenarioEvent: UInt8 = 1
    static let send: UInt8 = 2
    static let deliver: UInt8 = 3
    static let status: UInt8 = 4
    static let broadcast: UInt8 = 5
    static let dropped: UInt8 = 6
    static let limit: UInt8 = 7
    static let arrivalLost: UInt8 = 8
    static let write: UInt8 = 9
    static let opsLogged: UInt8 = 10
    static let pairing: UInt8 = 11
    static let chunkStored: UInt8 = 12
    static let adversary: UInt8 = 13
}

/// Stable numbers for message kinds in the trace and the per-kind counts.
enum KindCode: Int, CaseIterable {
    case gossip, iHave, graft, prune, want, digest, ping, ack, pingReq, indirectAck, suspect, alive, treeAdvert
    case syncVector, syncOps, pair, chunkWant, chunkData

    init(_ m: MeshMessage) {
        switch m {
        case .gossip: self = .gossip
        case .iHave: self = .iHave
        case .graft: self = .graft
        case .prune: self = .prune
        case .want: self = .want
        case .digest: self = .digest
        case .ping: self = .ping
        case .ack: self = .ack
        case .pingReq: self = .pingReq
        case .indirectAck: self = .indirectAck
        case .suspect: self = .suspect
        case .alive: self = .alive
        case .treeAdvert: self = .treeAdvert
        case .syncVector: self = .syncVector
        case .syncOps: self = .syncOps
        case .pair: self = .pair
        case .chunkWant: self = .chunkWant
        case .chunkData: self = .chunkData
        }
    }
}
