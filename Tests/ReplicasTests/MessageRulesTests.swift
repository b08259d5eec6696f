import Foundation
import Sodium
import Testing
import Wire
@testable import Replicas

/// Messages in the replica (PROTOCOL.md section 14): who may post, where, what a mention keeps,
/// the limits, and that every replica shows the same messages in the same order.
@Suite struct MessageRulesTests {
    /// Founder 0, admin 1, members 2 and 3, guest 4.
    func team() -> TeamFixture { TeamFixture(roles: [.admin, .member, .member, .guest]) }

    @Test func membersPostAndEveryoneReadsInOrder() {
        var f = team()
        let (a, first) = f.write(2, .postMessage(MessageContent(channel: "general", text: "pump 3 is down")), at: 2000)
        let (b, second) = f.write(1, .postMessage(MessageContent(channel: "general", text: "on it")), at: 2001)
        let (c, other) = f.write(3, .postMessage(MessageContent(channel: "logistics", text: "fuel at noon")), at: 2002)
        #expect([first, second, other] == [.applied, .applied, .applied])
        let state = f.replica.state
        #expect(state.messages(inChannel: "general").map(\.id) == [a.id, b.id])
        #expect(state.messages(inChannel: "general").map(\.text) == ["pump 3 is down", "on it"])
        #expect(state.messages(inChannel: "logistics").map(\.author) == [f.id(3)])
        #expect(state.channels.map(\.name) == ["general", "logistics"])
        #expect(state.channels.map(\.count) == [2, 1])
        #expect(state.channels.first?.latest.id == b.id && state.channels.last?.latest.id == c.id)
    }

    @Test func guestsAndStrangersDoNotPost() {
        var f = team()
        let (_, guest) = f.write(4, .postMessage(MessageContent(channel: "general", text: "hello")), at: 2000)
        #expect(guest == .rejected(.guestCannotWrite, "guests only read"))
        var stranger = OpAuthor(keyPair: keys(99))
        let op = stranger.write(.postMessage(MessageContent(channel: "general", text: "buy now")), in: f.replica, wallMs: 2001)
        _ = f.replica.ingest([op])
        // Set aside until an AddMember names them (StrangerOpTests), never logged nor shown.
        #expect(f.replica.strangerOpCount == 1)
        #expect(f.replica.op(author: op.author, seq: op.body.seq) == nil)
        #expect(f.replica.state.messages.isEmpty)
    }

    @Test func anItemsThreadNeedsTheItem() {
        var f = team()
        let (wf, _) = f.write(1, .defineWorkflow(name: "repairs", stages: [StageDefinition(name: "fix", roles: [], slaSeconds: nil)]), at: 2000)
        let (item, _) = f.write(2, .createItem(workflow: wf.id, title: "pump", priority: 5), at: 2001)
        let (note, onItem) = f.write(3, .postMessage(MessageContent(item: item.id, text: "bring the 12 mm wrench")), at: 2002)
        #expect(onItem == .applied)
        let nowhere = OpID(bytes: [UInt8](repeating: 5, count: 32))!
        let (_, missing) = f.write(3, .postMessage(MessageContent(item: nowhere, text: "lost")), at: 2003)
        #expect(missing == .rejected(.unknownTarget, "no item \(nowhere.short)"))
        #expect(f.replica.state.messages(onItem: item.id).map(\.id) == [note.id])
        #expect(f.replica.state.messages(inChannel: "general").isEmpty)
        #expect(f.replica.state.channels.isEmpty, "a thread is not a channel")
    }

    @Test func mentionsKeepOnlyMembers() {
        var f = team()
        let outsider = NodeID(publicKey: keys(77).publicKey)
        f.write(2, .postMessage(MessageContent(channel: "general", text: "@Ada @outsider", mentions: [f.id(1), outsider])), at: 2000)
        // Member 3 is removed; a message that mentions them, dated after, keeps the message and drops the mention.
        f.write(1, .removeMember(f.id(3)), at: 2001)
        f.write(2, .postMessage(MessageContent(channel: "general", text: "@gone", mentions: [f.id(3)])), at: 2002)
        let messages = f.replica.state.messages
        #expect(messages.map(\.mentions) == [[f.id(1)], []])
        #expect(messages.count == 2)
    }

    /// Every replica holds the same messages in the same order, whatever order the ops arrived in.
    @Test func anyArrivalOrderGivesTheSameMessagesAndDigest() throws {
        var f = team()
        var ops: [SignedOp] = []
        var rng = TestRNG(42)
        for k in 0..<60 {
            let author = 1 + Int(rng.next() % 3)
            let channel = ["general", "logistics", "medical"][Int(rng.next() % 3)]
            let (op, outcome) = f.write(author, .postMessage(MessageContent(channel: channel, text: "message \(k)")),
                                        at: 2000 + rng.next() % 50)
            #expect(outcome == .applied)
            ops.append(op)
        }
        let reference = f.replica.state
        #expect(reference.messages.map(\.sortKey) == reference.messages.map(\.sortKey).sorted())
        var base = try TeamReplica(genesis: f.genesis)
        let members = f.replica.ops(missingFrom: VersionVector()).ops.filter { !ops.map(\.id).contains($0.id) && $0.id != f.genesis.id }
        _ = base.ingest(members)
        for seed in 1...5 as ClosedRange<UInt64> {
            var other = base
            var shuffled = ops
            var r = TestRNG(seed)
            shuffled.shuffle(using: &r)
            for chunk in stride(from: 0, to: shuffled.count, by: 7) { _ = other.ingest(Array(shuffled[chunk..<min(chunk + 7, shuffled.count)])) }
            #expect(other.state.messages == reference.messages, "seed \(seed)")
            #expect(other.state.digest == reference.digest, "seed \(seed)")
        }
    }

    @Test func theLimitsAreCheckedBeforeSigningAndWhenDecoded() throws {
        let x = OpID(bytes: [UInt8](repeating: 7, count: 32))!
        let ok = MessageContent(channel: "general", text: String(repeating: "é", count: OpLimits.messageBytes / 2))
        try OpValidator.validate(.postMessage(ok))
        let refused: [(MessageContent, String)] = [
            (MessageContent(channel: "general", text: String(repeating: "a", count: OpLimits.messageBytes + 1)), "text"),
            (MessageContent(channel: "general", text: ""), "text"),
            (MessageContent(channel: "", text: "where?"), "channel"),
            (MessageContent(channel: "general", item: x, text: "both"), "channel"),
            (MessageContent(channel: "General", text: "capital"), "channel"),
            (MessageContent(channel: "-dash", text: "leading dash"), "channel"),
            (MessageContent(channel: "café", text: "accent"), "channel"),
            (MessageContent(channel: String(repeating: "a", count: OpLimits.channelBytes + 1), text: "long"), "channel"),
            (MessageContent(channel: "general", text: "many", mentions: (0..<33).map { NodeID(publicKey: keys(UInt8($0 + 100)).publicKey) }), "mentions"),
            (MessageContent(channel: "general", text: "twice", mentions: [NodeID(publicKey: keys(5).publicKey), NodeID(publicKey: keys(5).publicKey)]), "mentions"),
            (MessageContent(channel: "general", text: "files", attachments: Array(repeating: x, count: 11)), "attachments"),
        ]
        for (content, field) in refused {
            #expect(throws: OpLimitViolation.self, "\(content.text.prefix(20))") { try OpValidator.validate(.postMessage(content)) }
            do { try OpValidator.validate(.postMessage(content)) } catch { #expect(error.field == field, "\(content.channel) \(content.text.prefix(20))") }
        }
        #expect(throws: Never.self) { try OpValidator.channel(String(repeating: "z", count: OpLimits.channelBytes)) }
        #expect(throws: Never.self) { try OpValidator.channel("ops_2-night") }
    }

    @Test func anOverLimitMessageSignedByHandIsRefusedWhenDecoded() throws {
        // A hostile member signs ops the validator would never let this code write.
        let f = team()
        let many = (0...OpLimits.mentions).map { NodeID(publicKey: keys(UInt8($0 + 100)).publicKey) }
        let hostile: [MessageContent] = [
            MessageContent(channel: "general", text: String(repeating: "x", count: OpLimits.messageBytes + 1)),
            MessageContent(channel: "general", text: "fine", mentions: many),
            MessageContent(channel: "Bad Name", text: "fine"),
        ]
        for content in hostile {
            let body = OpBody(authorKey: keys(3).publicKey, seq: 9, hlc: HLCTimestamp(wallMs: 9_000, logical: 0), team: f.replica.id,
                              operation: .postMessage(content))
            let signed = SignedOp.sign(body, with: keys(3))
            #expect(throws: OpError.self) { try SignedOp(serialized: signed.serialized) }
        }
    }
}
