import Foundation
import Sodium
import Wire

/// Why a notice broadcast was not taken. Each names what was wrong, for the node's log.
public enum NoticeRejection: Error, Equatable, CustomStringConvertible {
    case notANotice
    case tooLong(Int)
    case unsigned
    case originMismatch
    case badSignature
    case stale(ageMs: UInt64)
    case fromTheFuture(aheadMs: UInt64)

    public var description: String {
        switch self {
        case .notANotice: "the broadcast is not a notice"
        case let .tooLong(n): "the notice has \(n) bytes, more than \(GossipPayloadCoding.maxNoticeBytes)"
        case .unsigned: "the notice carries no valid key or signature (a node older than signed notices, or a forgery)"
        case .originMismatch: "the notice was signed by another node than the one the broadcast names as its origin"
        case .badSignature: "the notice's signature does not verify"
        case let .stale(age): "the notice was sent \(age / 1000) s ago, longer than a notice is taken (a replay, or a clock far behind)"
        case let .fromTheFuture(ahead): "the notice is dated \(ahead / 1000) s ahead of this node's clock"
        }
    }
}

/// A notice to the whole mesh, signed by the node that sent it.
///
/// Rules: the signature covers a domain tag, the sender's key, its wall clock and the text; a
/// receiver takes a notice only when the key's node ID is the broadcast's origin, the signature
/// verifies, the text is at most `GossipPayloadCoding.maxNoticeBytes`, and the send time is
/// within `maxSkewMs` of its own clock either way. The window bounds replays: a copy of a real
/// notice re-broadcast later is refused once it is older than that, and within it the receiver
/// drops a notice identical to one it already holds (`isSame`).
public struct SignedNotice: Sendable, Equatable {
    public static let domainTag = Array("elohim/notice/v1".utf8)
    public static let maxSkewMs: UInt64 = 10 * 60 * 1000

    public let text: String
    public let author: NodeID
    public let sentAtMs: UInt64
    public let signature: [UInt8]

    static func signedBytes(key: [UInt8], sentAtMs: UInt64, text: String) -> [UInt8] {
        var out = domainTag + key
        withUnsafeBytes(of: sentAtMs.bigEndian) { out += $0 }
        return out + Array(text.utf8)
    }

    /// The broadcast payload of `text`, signed by `keyPair` at `sentAtMs`.
    public static func payload(text: String, keyPair: Ed25519KeyPair, sentAtMs: UInt64) -> [UInt8] {
        make(text: text, keyPair: keyPair, sentAtMs: sentAtMs).payload
    }

    /// `text` signed by `keyPair` at `sentAtMs`: the notice as its sender keeps it, and the
    /// broadcast payload (what `verify` would read back, without checking its own signature).
    public static func make(text: String, keyPair: Ed25519KeyPair, sentAtMs: UInt64) -> (notice: SignedNotice, payload: [UInt8]) {
        let signature = keyPair.sign(signedBytes(key: keyPair.publicKey.bytes, sentAtMs: sentAtMs, text: text))
        var n = Elohim_Replicas_V1_Notice()
        n.text = text
        n.authorKey = Data(keyPair.publicKey.bytes)
        n.sentAtMs = sentAtMs
        n.signature = Data(signature)
        var p = Elohim_Replicas_V1_GossipPayload()
        p.notice = n
        let notice = SignedNotice(text: text, author: NodeID(publicKey: keyPair.publicKey), sentAtMs: sentAtMs, signature: signature)
        return (notice, ((try? p.serializedData()) ?? Data()).byteArray)
    }

    /// The notice in `payload`, broadcast with `origin`, judged at `nowMs`.
    public static func verify(_ payload: [UInt8], origin: NodeID, nowMs: UInt64) -> Result<SignedNotice, NoticeRejection> {
        guard let p = try? Elohim_Replicas_V1_GossipPayload(serializedBytes: Data(payload)), case let .notice(n)? = p.kind else {
            return .failure(.notANotice)
        }
        let textBytes = n.text.utf8.count
        guard textBytes <= GossipPayloadCoding.maxNoticeBytes else { return .failure(.tooLong(textBytes)) }
        let key = n.authorKey.byteArray, signature = n.signature.byteArray
        guard let publicKey = Ed25519PublicKey(bytes: key), signature.count == Ed25519KeyPair.signatureByteCount else {
            return .failure(.unsigned)
        }
        let author = NodeID(publicKey: publicKey)
        guard author == origin else { return .failure(.originMismatch) }
        guard publicKey.isValidSignature(signature, for: signedBytes(key: key, sentAtMs: n.sentAtMs, text: n.text)) else {
            return .failure(.badSignature)
        }
        if n.sentAtMs > nowMs, n.sentAtMs - nowMs > maxSkewMs { return .failure(.fromTheFuture(aheadMs: n.sentAtMs - nowMs)) }
        if nowMs > n.sentAtMs, nowMs - n.sentAtMs > maxSkewMs { return .failure(.stale(ageMs: nowMs - n.sentAtMs)) }
        return .success(SignedNotice(text: n.text, author: author, sentAtMs: n.sentAtMs, signature: signature))
    }

    /// Whether `other` is this very notice again (a copy re-broadcast under a new sequence number).
    public func isSame(_ other: SignedNotice) -> Bool { author == other.author && sentAtMs == other.sentAtMs && signature == other.signature }
}
