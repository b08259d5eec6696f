import Foundation
import Testing
import Wire
@testable import MeshCore

/// The cacophony vectors (Protocol/vectors/README.md): every XX and IK vector must match byte
/// for byte, handshake messages, handshake hash and transport messages alike.
@Suite struct NoiseVectorTests {
    struct Vector: Decodable {
        let protocol_name: String
        let init_prologue: String
        let init_static: String?
        let init_ephemeral: String
        let init_remote_static: String?
        let resp_prologue: String
        let resp_static: String?
        let resp_ephemeral: String?
        let handshake_hash: String
        let messages: [Message]
        let init_psks: [String]?
    }

    struct Message: Decodable {
        let payload: String
        let ciphertext: String
    }

    struct File: Decodable {
        let vectors: [Vector]
    }

    static var vectors: [Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol/vectors/noise/noise-25519-chachapoly-blake2b.json")
        let file = try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        return file.vectors.filter { v in
            (v.protocol_name.hasPrefix("Noise_XX_") || v.protocol_name.hasPrefix("Noise_IK_")) && v.init_psks == nil
        }
    }

    @Test func theVectorsAreThere() {
        #expect(Self.vectors.map(\.protocol_name).sorted() == ["Noise_IK_25519_ChaChaPoly_BLAKE2b", "Noise_XX_25519_ChaChaPoly_BLAKE2b"])
    }

    @Test(arguments: vectors.map(\.protocol_name))
    func vector(name: String) throws {
        let v = Self.vectors.first { $0.protocol_name == name }!
        let pattern: NoisePattern = name.hasPrefix("Noise_XX") ? .xx : .ik
        var initiator = try NoiseHandshake(pattern: pattern, initiator: true, prologue: hex(v.init_prologue),
                                           staticKey: v.init_static.map { NoiseKeyPair(privateKey: hex($0)) },
                                           ephemeralPrivateKey: hex(v.init_ephemeral),
                                           remoteStatic: v.init_remote_static.map(hex))
        var responder = try NoiseHandshake(pattern: pattern, initiator: false, prologue: hex(v.resp_prologue),
                                           staticKey: v.resp_static.map { NoiseKeyPair(privateKey: hex($0)) },
                                           ephemeralPrivateKey: hex(v.resp_ephemeral!))
        let handshakeLength = pattern.messages.count
        var sendI: NoiseCipherState?, recvI: NoiseCipherState?, sendR: NoiseCipherState?, recvR: NoiseCipherState?
        for (i, m) in v.messages.enumerated() {
            let fromInitiator = i % 2 == 0
            if i < handshakeLength {
                let written = fromInitiator ? try initiator.writeMessage(hex(m.payload)) : try responder.writeMessage(hex(m.payload))
                #expect(written == hex(m.ciphertext), "\(name) handshake message \(i)")
                let read = fromInitiator ? try responder.readMessage(written) : try initiator.readMessage(written)
                #expect(read == hex(m.payload))
                if i == handshakeLength - 1 {
                    #expect(initiator.handshakeHash == hex(v.handshake_hash))
                    #expect(responder.handshakeHash == hex(v.handshake_hash))
                    (sendI, recvI) = initiator.split()
                    (sendR, recvR) = responder.split()
                }
            } else if fromInitiator {
                let ct = try sendI!.encrypt(hex(m.payload))
                #expect(ct == hex(m.ciphertext), "\(name) transport message \(i)")
                #expect(try recvR!.decrypt(ct) == hex(m.payload))
            } else {
                let ct = try sendR!.encrypt(hex(m.payload))
                #expect(ct == hex(m.ciphertext), "\(name) transport message \(i)")
                #expect(try recvI!.decrypt(ct) == hex(m.payload))
            }
        }
    }

    @Test func tamperingFailsAndOutOfTurnIsRefused() throws {
        let a = NoiseKeyPair(privateKey: [UInt8](repeating: 1, count: 32)), b = NoiseKeyPair(privateKey: [UInt8](repeating: 2, count: 32))
        var i = try NoiseHandshake(pattern: .xx, initiator: true, prologue: [], staticKey: a, ephemeralPrivateKey: [UInt8](repeating: 3, count: 32))
        var r = try NoiseHandshake(pattern: .xx, initiator: false, prologue: [], staticKey: b, ephemeralPrivateKey: [UInt8](repeating: 4, count: 32))
        #expect(throws: NoiseError.outOfTurn) { try r.writeMessage([]) }
        let m1 = try i.writeMessage([])
        _ = try r.readMessage(m1)
        var m2 = try r.writeMessage([7])
        m2[m2.count - 1] ^= 1
        #expect(throws: NoiseError.decryptFailed) { try i.readMessage(m2) }
        #expect(throws: NoiseError.messageTooShort) { try i.readMessage([1, 2]) }
    }

    func hex(_ s: String) -> [UInt8] { Hex.decode(s)! }
}
