import Foundation
import Sodium
import Testing
import Wire
@testable import Replicas

@Suite struct OpTests {
    @Test func signedOpsRoundTripAndIDIsTheBodyHash() throws {
        var author = OpAuthor(keyPair: keys(1))
        let op = author.createTeam(name: "crew", nonce: [9], wallMs: 42)
        let again = try SignedOp(serialized: op.serialized)
        #expect(again == op)
        #expect(again.id == OpID(body: op.bodyBytes))
        #expect(again.body.operation == .createTeam(name: "crew", nonce: [9]))
        #expect(again.author == NodeID(publicKey: keys(1).publicKey))
    }

    @Test func everyOperationRoundTrips() throws {
        var f = TeamFixture()
        let x = OpID(bytes: [UInt8](repeating: 7, count: 32))!
        let ops: [TeamOperation] = [
            .renameTeam(name: "new"), .addMember(publicKey: keys(9).publicKey, role: .member, invite: x),
            .addMember(publicKey: keys(9).publicKey, role: .admin, invite: nil, name: "Amara Okafor", device: f.id(2)),
            .addMember(publicKey: keys(9).publicKey, role: .guest, invite: nil, name: "Ç", device: nil),
            .removeMember(f.id(2), seenSeq: 0), .setRole(f.id(2), .admin, seenSeq: 12), .createInvite(role: .guest, expiresWallMs: 99),
            .revokeInvite(x), .requestPromotion, .approvePromotion(request: x),
            .defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: [.member, .admin], slaSeconds: 60),
                                                StageDefinition(name: "t", roles: [], slaSeconds: nil)]),
            .createItem(workflow: x, title: "fix pump", priority: 3), .claimItem(x, base: x), .startItem(x, base: x),
            .completeItem(x, base: x), .setPriority(x, 7),
            .putBlob(BlobMetadata(blob: x, name: "f", size: 10, chunks: [x, x], chunkSize: 5)), .deleteBlob(x),
            .postMessage(MessageContent(channel: "general", text: "pump 3 is down", mentions: [f.id(1), f.id(2)], attachments: [x])),
            .postMessage(MessageContent(item: x, text: "on my way")),
        ]
        for operation in ops {
            let op = f.authors[0].write(operation, in: f.replica, wallMs: 5000)
            let decoded = try SignedOp(serialized: op.serialized)
            #expect(decoded.body.operation == operation)
            #expect(decoded.body.team == f.replica.id)
        }
    }

    @Test func alteredBytesFailTheSignature() throws {
        var author = OpAuthor(keyPair: keys(1))
        let op = author.createTeam(name: "crew", nonce: [9], wallMs: 42)
        var bytes = op.serialized
        // Flip a byte inside the name: still valid protobuf, no longer the signed body.
        let i = bytes.firstIndex(of: UInt8(ascii: "c"))!
        bytes[i] = UInt8(ascii: "d")
        #expect(throws: OpError.badSignature) { try SignedOp(serialized: bytes) }
        #expect(throws: OpError.malformed("SignedOp")) { try SignedOp(serialized: [0xFF, 0xFF]) }
    }

    @Test func limitsAreEnforcedOnRead() throws {
        var f = TeamFixture()
        let long = String(repeating: "x", count: 201)
        let op = f.authors[0].write(.renameTeam(name: long), in: f.replica, wallMs: 5000)
        #expect(throws: OpError.badField("rename-team.name", reason: "must be 1 to 200 bytes (UTF-8); it is 201 bytes")) {
            try SignedOp(serialized: op.serialized)
        }
    }

    /// A person's name is checked where ops are read too: a peer cannot slip in a name that
    /// rewrites the screen (bidi override, newline) or one past 64 bytes.
    @Test func personNamesAreCheckedOnRead() throws {
        var f = TeamFixture()
        for (name, found) in [("Eve\u{202E}gnp", "U+202E"), ("two\nlines", "U+A"), (String(repeating: "n", count: 65), "65 bytes")] {
            let op = f.authors[0].write(.addMember(publicKey: keys(9).publicKey, role: .member, invite: nil, name: name), in: f.replica,
                                        wallMs: 5000)
            #expect {
                try SignedOp(serialized: op.serialized)
            } throws: { error in
                guard case let OpError.badField(field, reason) = error else { return false }
                return field.hasSuffix("name") && reason.contains(found)
            }
        }
    }

    @Test func hlcOrdersCausallyAcrossBadClocks() {
        var a = HybridLogicalClock(), b = HybridLogicalClock()
        let t1 = a.tick(wallMs: 10_000_000)        // a's clock is far ahead
        b.observe(t1, wallMs: 1_000)
        let t2 = b.tick(wallMs: 1_001)
        #expect(t2 > t1, "b's reply sorts after what it saw")
        #expect(b.suspiciousObservations == 1)
        let t3 = b.tick(wallMs: 1_002)
        #expect(t3 > t2)
    }

    @Test func versionVectorDifference() {
        let x = NodeID(bytes: [UInt8](repeating: 1, count: 20))!, y = NodeID(bytes: [UInt8](repeating: 2, count: 20))!
        let mine = VersionVector([(x, 5), (y, 2)]), theirs = VersionVector([(x, 3), (y, 4)])
        #expect(mine.ahead(of: theirs).map { [$0.from, $0.through] } == [[4, 5]])
        #expect(!mine.covers(theirs))
        #expect(mine.merged(with: theirs).covers(theirs) && mine.merged(with: theirs).covers(mine))
    }
}
