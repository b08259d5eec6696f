import Foundation
import SwiftProtobuf
import Testing
@testable import Wire

/// The hello's purpose (PROTOCOL.md section 10.4): carried both ways, absent from an ordinary
/// hello's bytes (older nodes read it unchanged), and an unknown one refused.
@Suite struct LinkHelloTests {
    /// RFC 8032 test 1's public key: any valid Ed25519 key will do.
    static let key = Data([0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
                           0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a])

    static func message(_ purpose: Elohim_Mesh_V1_LinkPurpose) -> Elohim_Mesh_V1_LinkHello {
        var m = Elohim_Mesh_V1_LinkHello()
        m.protocolVersion = 1
        m.identityKey = key
        m.staticSignature = Data(repeating: 7, count: 64)
        m.listenPort = 7946
        m.purpose = purpose
        return m
    }

    @Test func thePurposeRoundTrips() throws {
        for (wire, purpose) in [(Elohim_Mesh_V1_LinkPurpose.link, LinkPurpose.link), (.pairing, .pairing)] {
            let bytes: [UInt8] = try Self.message(wire).serializedBytes()
            let hello = try LinkHello(serialized: bytes)
            #expect(hello.purpose == purpose)
            #expect(hello.serialized() == bytes)
        }
    }

    @Test func anOrdinaryHelloHasNoPurposeBytes() throws {
        var old = Self.message(.link)
        let withField: [UInt8] = try old.serializedBytes()
        old.purpose = .pairing
        let pairing: [UInt8] = try old.serializedBytes()
        // Field 5 as a varint is tag 0x28; an ordinary hello leaves it out entirely.
        #expect(pairing.count == withField.count + 2 && Array(pairing.suffix(2)) == [0x28, 0x01])
    }

    @Test func anUnknownPurposeIsRefused() throws {
        let bytes: [UInt8] = try Self.message(.UNRECOGNIZED(7)).serializedBytes()
        #expect(throws: WireError.badField(message: "LinkHello", field: "purpose", reason: "unknown purpose 7 (a newer node?)")) {
            try LinkHello(serialized: bytes)
        }
    }
}
