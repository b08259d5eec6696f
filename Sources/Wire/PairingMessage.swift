import Foundation
import SwiftProtobuf

/// The four messages of pairing by code (PROTOCOL.md section 10), in order:
/// joiner → inviter `request`, inviter → joiner `response`, joiner → inviter `confirm`,
/// inviter → joiner `result`. A refusal is a `result` that is not accepted, at any step.
public enum PairingMessage: Hashable, Sendable {
    case request(PairRequest)
    case response(PairResponse)
    case confirm(PairConfirm)
    case result(PairResult)
}

public struct PairRequest: Hashable, Sendable {
    /// The first group of the code: which of the inviter's open codes this is.
    public var tag: String
    /// The joiner's CPace share Ya.
    public var share: [UInt8]
    /// The joiner's Ed25519 identity key (CPace's ADa).
    public var identityKey: [UInt8]

    public init(tag: String, share: [UInt8], identityKey: [UInt8]) {
        self.tag = tag
        self.share = share
        self.identityKey = identityKey
    }
}

public struct PairResponse: Hashable, Sendable {
    public var share: [UInt8]
    public var identityKey: [UInt8]
    public var confirmation: [UInt8]
    public var signature: [UInt8]

    public init(share: [UInt8], identityKey: [UInt8], confirmation: [UInt8], signature: [UInt8]) {
        self.share = share
        self.identityKey = identityKey
        self.confirmation = confirmation
        self.signature = signature
    }
}

public struct PairConfirm: Hashable, Sendable {
    public var confirmation: [UInt8]
    public var signature: [UInt8]

    public init(confirmation: [UInt8], signature: [UInt8]) {
        self.confirmation = confirmation
        self.signature = signature
    }
}

public struct PairResult: Hashable, Sendable {
    public var accepted: Bool
    /// A machine-readable reason when refused (`PairingRefusal`'s raw values).
    public var refusal: String
    /// What to tell the user.
    public var message: String
    /// The team the joiner was added to (32 bytes), empty when none.
    public var team: [UInt8]
    public var role: String

    public init(accepted: Bool, refusal: String = "", message: String = "", team: [UInt8] = [], role: String = "") {
        self.accepted = accepted
        self.refusal = refusal
        self.message = message
        self.team = team
        self.role = role
    }
}

extension PairingMessage {
    /// Bytes a pairing message's fields may hold at most (all are fixed-size keys, tags and
    /// short texts); anything larger is refused as malformed.
    static let maxFieldBytes = 512

    var kindName: String {
        switch self {
        case .request: "pair-request"
        case .response: "pair-response"
        case .confirm: "pair-confirm"
        case .result: "pair-result"
        }
    }

    func protobufBody() -> (Elohim_Mesh_V1_Kind, any SwiftProtobuf.Message) {
        switch self {
        case let .request(r):
            var m = Elohim_Mesh_V1_PairRequest()
            m.tag = r.tag
            m.share = Data(r.share)
            m.identityKey = Data(r.identityKey)
            return (.pairRequest, m)
        case let .response(r):
            var m = Elohim_Mesh_V1_PairResponse()
            m.share = Data(r.share)
            m.identityKey = Data(r.identityKey)
            m.confirmation = Data(r.confirmation)
            m.signature = Data(r.signature)
            return (.pairResponse, m)
        case let .confirm(c):
            var m = Elohim_Mesh_V1_PairConfirm()
            m.confirmation = Data(c.confirmation)
            m.signature = Data(c.signature)
            return (.pairConfirm, m)
        case let .result(r):
            var m = Elohim_Mesh_V1_PairResult()
            m.accepted = r.accepted
            m.refusal = r.refusal
            m.message = r.message
            m.team = Data(r.team)
            m.role = r.role
            return (.pairResult, m)
        }
    }

    static func decode(kind: Elohim_Mesh_V1_Kind, payload: Data) throws(WireError) -> PairingMessage? {
        func parse<M: SwiftProtobuf.Message>(_ name: String) throws(WireError) -> M {
            guard payload.count <= 4 * maxFieldBytes else { throw .malformed(what: name) }
            do { return try M(serializedBytes: payload) } catch { throw .malformed(what: name) }
        }
        func exact(_ data: Data, _ count: Int, _ message: String, _ field: String) throws(WireError) -> [UInt8] {
            guard data.count == count else { throw .badField(message: message, field: field, reason: "must be \(count) bytes") }
            return data.byteArray
        }
        switch kind {
        case .pairRequest:
            let m: Elohim_Mesh_V1_PairRequest = try parse("PairRequest")
            guard m.tag.utf8.count <= 16 else { throw .badField(message: "PairRequest", field: "tag", reason: "longer than 16 bytes") }
            return .request(PairRequest(tag: m.tag, share: try exact(m.share, 32, "PairRequest", "share"),
                                        identityKey: try exact(m.identityKey, 32, "PairRequest", "identity_key")))
        case .pairResponse:
            let m: Elohim_Mesh_V1_PairResponse = try parse("PairResponse")
            return .response(PairResponse(share: try exact(m.share, 32, "PairResponse", "share"),
                                          identityKey: try exact(m.identityKey, 32, "PairResponse", "identity_key"),
                                          confirmation: try exact(m.confirmation, 64, "PairResponse", "confirmation"),
                                          signature: try exact(m.signature, 64, "PairResponse", "signature")))
        case .pairConfirm:
            let m: Elohim_Mesh_V1_PairConfirm = try parse("PairConfirm")
            return .confirm(PairConfirm(confirmation: try exact(m.confirmation, 64, "PairConfirm", "confirmation"),
                                        signature: try exact(m.signature, 64, "PairConfirm", "signature")))
        case .pairResult:
            let m: Elohim_Mesh_V1_PairResult = try parse("PairResult")
            guard m.team.isEmpty || m.team.count == 32 else {
                throw .badField(message: "PairResult", field: "team", reason: "must be empty or 32 bytes")
            }
            return .result(PairResult(accepted: m.accepted, refusal: String(m.refusal.prefix(64)),
                                      message: String(m.message.prefix(400)), team: m.team.byteArray,
                                      role: String(m.role.prefix(32))))
        default:
            return nil
        }
    }
}
