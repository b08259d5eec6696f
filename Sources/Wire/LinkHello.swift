import Foundation
import Sodium
import SwiftProtobuf

/// What a node proves about itself inside the Noise handshake: its Ed25519 identity, signed
/// over its Noise static key (PROTOCOL.md section 9).
public struct LinkHello: Hashable, Sendable {
    /// Domain tag of the signature.
    public static let signatureContext = Array("elohim/link/v1".utf8)

    public var protocolVersion: UInt32
    public var identityKey: Ed25519PublicKey
    public var staticSignature: [UInt8]
    public var listenPort: UInt16
    /// What the sender opens the link for. Only the initiator's counts; a responder sends `.link`.
    public var purpose: LinkPurpose

    public var nodeID: NodeID { NodeID(publicKey: identityKey) }

    /// A hello for `identity` whose Noise static public key is `noiseStatic`.
    public init(identity: Ed25519KeyPair, noiseStatic: [UInt8], listenPort: UInt16, purpose: LinkPurpose = .link) {
        protocolVersion = ProtocolVersion.current
        identityKey = identity.publicKey
        staticSignature = identity.sign(Self.signatureContext + noiseStatic)
        self.listenPort = listenPort
        self.purpose = purpose
    }

    /// True when the signature binds `noiseStatic` (the key the handshake authenticated) to the identity.
    public func binds(noiseStatic: [UInt8]) -> Bool {
        identityKey.isValidSignature(staticSignature, for: Self.signatureContext + noiseStatic)
    }

    public func serialized() -> [UInt8] {
        var m = Elohim_Mesh_V1_LinkHello()
        m.protocolVersion = protocolVersion
        m.identityKey = Data(identityKey.bytes)
        m.staticSignature = Data(staticSignature)
        m.listenPort = UInt32(listenPort)
        m.purpose = purpose == .pairing ? .pairing : .link
        return ((try? m.serializedData()) ?? Data()).byteArray
    }

    public init(serialized bytes: [UInt8]) throws(WireError) {
        let m: Elohim_Mesh_V1_LinkHello
        do { m = try Elohim_Mesh_V1_LinkHello(serializedBytes: Data(bytes)) } catch { throw .malformed(what: "LinkHello") }
        guard m.protocolVersion >= ProtocolVersion.minimumSupported else { throw .unsupportedVersion(m.protocolVersion) }
        guard let key = Ed25519PublicKey(bytes: m.identityKey.byteArray) else {
            throw .badField(message: "LinkHello", field: "identity_key", reason: "must be 32 bytes")
        }
        guard m.listenPort <= 65535 else { throw .badField(message: "LinkHello", field: "listen_port", reason: "above 65535") }
        // A purpose this node does not know is one it cannot serve: refused, never taken for
        // an ordinary link.
        switch m.purpose {
        case .link: purpose = .link
        case .pairing: purpose = .pairing
        case let .UNRECOGNIZED(value):
            throw .badField(message: "LinkHello", field: "purpose", reason: "unknown purpose \(value) (a newer node?)")
        }
        protocolVersion = m.protocolVersion
        identityKey = key
        staticSignature = m.staticSignature.byteArray
        listenPort = UInt16(m.listenPort)
    }
}

/// What an initiator opens a link for (PROTOCOL.md section 10.4). An inviter tells a pairing
/// link from an ordinary one by this alone, not by whether it trusts the joiner already: a
/// node linked to the inviter (by `--peer`, or paired before) can still use a code.
public enum LinkPurpose: UInt32, Sendable, Hashable {
    /// An ordinary link between trusted peers.
    case link = 0
    /// One pairing run by code first; on success the link stays up as an ordinary link.
    case pairing = 1
}
