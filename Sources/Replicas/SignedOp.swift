import Foundation
import Sodium
import SwiftProtobuf
import Wire

/// The fields of an op as its author wrote them.
public struct OpBody: Hashable, Sendable {
    public var authorKey: Ed25519PublicKey
    public var seq: UInt64
    public var hlc: HLCTimestamp
    /// nil only in the op that creates a team.
    public var team: TeamID?
    public var operation: TeamOperation

    public var author: NodeID { NodeID(publicKey: authorKey) }

    public init(authorKey: Ed25519PublicKey, seq: UInt64, hlc: HLCTimestamp, team: TeamID?, operation: TeamOperation) {
        self.authorKey = authorKey
        self.seq = seq
        self.hlc = hlc
        self.team = team
        self.operation = operation
    }
}

/// An op as it travels and is stored: the exact bytes its author signed, the signature, and
/// what they say. Rules it keeps (PROTOCOL.md section 7):
/// - it only exists with a valid signature by the key named in its body: `init(serialized:)`
///   verifies, and `sign` makes one; relays cannot forge or alter an op;
/// - the body bytes are kept as received and never re-encoded, so the ID (BLAKE2b-256 of the
///   body) is the same on every replica and unknown fields from newer versions survive.
public struct SignedOp: Hashable, Sendable {
    public let body: OpBody
    public let bodyBytes: [UInt8]
    public let signature: [UInt8]
    public let id: OpID
    public let author: NodeID

    /// Signs `body` with `keyPair`, whose public key must be `body.authorKey`.
    public static func sign(_ body: OpBody, with keyPair: Ed25519KeyPair) -> SignedOp {
        precondition(keyPair.publicKey == body.authorKey, "an op is signed by its author")
        let bytes = OpCoding.encode(body)
        return SignedOp(body: body, bodyBytes: bytes, signature: keyPair.sign(bytes))
    }

    private init(body: OpBody, bodyBytes: [UInt8], signature: [UInt8]) {
        self.body = body
        self.bodyBytes = bodyBytes
        self.signature = signature
        self.id = OpID(body: bodyBytes)
        self.author = body.author
    }

    /// Reads and verifies a `SignedOp` message.
    public init(serialized bytes: [UInt8]) throws(OpError) {
        let message: Elohim_Replicas_V1_SignedOp
        do { message = try Elohim_Replicas_V1_SignedOp(serializedBytes: Data(bytes)) } catch { throw .malformed("SignedOp") }
        try self.init(message)
    }

    init(_ message: Elohim_Replicas_V1_SignedOp) throws(OpError) {
        let bodyBytes = message.body.byteArray
        let body = try OpCoding.decode(bodyBytes)
        guard body.authorKey.isValidSignature(message.signature.byteArray, for: bodyBytes) else { throw .badSignature }
        self.init(body: body, bodyBytes: bodyBytes, signature: message.signature.byteArray)
    }

    /// The `SignedOp` message bytes.
    public var serialized: [UInt8] { ((try? message.serializedData()) ?? Data()).byteArray }

    var message: Elohim_Replicas_V1_SignedOp {
        var m = Elohim_Replicas_V1_SignedOp()
        m.body = Data(bodyBytes)
        m.signature = Data(signature)
        return m
    }

    /// Bytes this op takes on the wire and on disk (body and signature).
    public var size: Int { bodyBytes.count + signature.count }

    /// The order every replica folds ops in: HLC, then author, then sequence number.
    public var sortKey: OpSortKey { OpSortKey(hlc: body.hlc, author: author, seq: body.seq) }
}

/// The total order of ops (DESIGN.md section 4: lowest HLC, then author ID).
public struct OpSortKey: Hashable, Comparable, Sendable {
    public var hlc: HLCTimestamp
    public var author: NodeID
    public var seq: UInt64

    public static func < (a: OpSortKey, b: OpSortKey) -> Bool {
        if a.hlc != b.hlc { return a.hlc < b.hlc }
        if a.author != b.author { return a.author < b.author }
        return a.seq < b.seq
    }
}

/// Why bytes are not a valid op. Counted by reason where ops arrive.
public enum OpError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case badSignature
    case badField(String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(what): "malformed \(what)"
        case .badSignature: "signature does not verify"
        case let .badField(field, reason): "\(field): \(reason)"
        }
    }

    /// A short label for counters.
    public var reason: String {
        switch self {
        case .malformed: "malformed"
        case .badSignature: "bad-signature"
        case .badField: "bad-field"
        }
    }
}

/// Several ops as one `OpBatch` message: the body of a sync batch.
public enum OpBatchCoding {
    public static func encode(_ ops: [SignedOp]) -> [UInt8] {
        var batch = Elohim_Replicas_V1_OpBatch()
        batch.ops = ops.map(\.message)
        return ((try? batch.serializedData()) ?? Data()).byteArray
    }

    /// Decodes and verifies every op; one bad op fails the whole batch (its sender is broken).
    public static func decode(_ bytes: [UInt8]) throws(OpError) -> [SignedOp] {
        let batch: Elohim_Replicas_V1_OpBatch
        do { batch = try Elohim_Replicas_V1_OpBatch(serializedBytes: Data(bytes)) } catch { throw .malformed("OpBatch") }
        var out: [SignedOp] = []
        out.reserveCapacity(batch.ops.count)
        for m in batch.ops { out.append(try SignedOp(m)) }
        return out
    }
}

/// What a gossip broadcast carries: an op, or a notice.
public enum GossipPayloadCoding {
    public static let maxNoticeBytes = 1000

    public static func encode(_ op: SignedOp) -> [UInt8] {
        var p = Elohim_Replicas_V1_GossipPayload()
        p.op = op.message
        return ((try? p.serializedData()) ?? Data()).byteArray
    }

    /// An unsigned notice: what nodes before signed notices sent. Receivers now refuse it
    /// (`SignedNotice.verify`); kept for tests and fuzzing seeds. Nodes send `SignedNotice.payload`.
    public static func encode(notice text: String) -> [UInt8] {
        var n = Elohim_Replicas_V1_Notice()
        n.text = text
        var p = Elohim_Replicas_V1_GossipPayload()
        p.notice = n
        return ((try? p.serializedData()) ?? Data()).byteArray
    }

    /// Whether a broadcast carries an op, judged by its first byte (the tag of `GossipPayload.op`,
    /// field 1, length-delimited) without decoding it: what the router asks many times a second.
    public static func carriesOp(_ bytes: [UInt8]) -> Bool { bytes.first == 0x0A }

    /// The op in a broadcast; nil for other payload kinds.
    public static func decode(_ bytes: [UInt8]) throws(OpError) -> SignedOp? {
        let p: Elohim_Replicas_V1_GossipPayload
        do { p = try Elohim_Replicas_V1_GossipPayload(serializedBytes: Data(bytes)) } catch { throw .malformed("GossipPayload") }
        switch p.kind {
        case let .op(m)?: return try SignedOp(m)
        default: return nil
        }
    }

    /// The text of a notice broadcast; nil for anything else or an over-long text.
    public static func notice(_ bytes: [UInt8]) -> String? {
        guard let p = try? Elohim_Replicas_V1_GossipPayload(serializedBytes: Data(bytes)), case let .notice(n)? = p.kind,
              n.text.utf8.count <= maxNoticeBytes else { return nil }
        return n.text
    }
}
