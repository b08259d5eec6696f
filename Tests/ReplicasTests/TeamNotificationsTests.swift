import Testing
import Wire
@testable import Replicas

/// Notifications derived from a team's state and the time (issue 18, item 3): who hears of a
/// mention, who hears of an item near or past its stage's time, and the order.
@Suite struct TeamNotificationsTests {
    @Test func aMentionReachesTheOneNamedNotTheAuthorNorAStranger() {
        var f = TeamFixture(roles: [.admin, .member, .member, .guest])
        let (m, _) = f.write(1, .postMessage(MessageContent(channel: "general", text: "@2 @4 @self", mentions: [f.id(2), f.id(4), f.id(1)])), at: 5000)
        let s = f.replica.state
        #expect(s.notifications(for: [f.id(2)], nowMs: 6000).map(\.message?.id) == [m.id])
        #expect(s.notifications(for: [f.id(4)], nowMs: 6000).map(\.kind) == [.mention], "a guest reads, and hears of a mention")
        #expect(s.notifications(for: [f.id(1)], nowMs: 6000).isEmpty, "one's own message is no news")
        #expect(s.notifications(for: [f.id(3)], nowMs: 6000).isEmpty)
        #expect(s.notifications(for: [NodeID(publicKey: keys(90).publicKey)], nowMs: 6000).isEmpty, "not a member: nothing")
    }

    @Test func anItemNearItsTimeWarnsItsHolderOrThoseWhoMayClaimIt() {
        var f = TeamFixture(roles: [.admin, .member, .member, .guest])
        let (wf, _) = f.write(1, .defineWorkflow(name: "repairs", stages: [
            StageDefinition(name: "fix", roles: [.member], slaSeconds: 100),
            StageDefinition(name: "review", roles: [.admin], slaSeconds: 100),
        ]), at: 10_000)
        let (queued, _) = f.write(2, .createItem(workflow: wf.id, title: "queued", priority: 5), at: 10_000)
        let (held, _) = f.write(2, .createItem(workflow: wf.id, title: "held", priority: 5), at: 10_000)
        f.write(3, .claimItem(held.id, base: held.id), at: 10_001)
        let s = f.replica.state
        // At 79 s nothing; at 80 s a warning; at 100 s overdue, dated when each line was crossed.
        #expect(s.notifications(for: [f.id(2)], nowMs: 89_000).isEmpty)
        let warned = s.notifications(for: [f.id(2)], nowMs: 90_000)
        #expect(warned.map(\.kind) == [.slaWarning] && warned.first?.item?.id == queued.id && warned.first?.atMs == 90_000,
                "member 2 may claim the queued item; the held one is member 3's")
        let holder = s.notifications(for: [f.id(3)], nowMs: 110_000)
        #expect(holder.map(\.item?.title) == ["held", "queued"] || holder.map(\.item?.title) == ["queued", "held"])
        #expect(holder.allSatisfy { $0.kind == .overdue && $0.atMs == 110_000 })
        #expect(s.notifications(for: [f.id(4)], nowMs: 110_000).isEmpty, "a guest claims nothing and holds nothing")
        #expect(s.notifications(for: [f.id(0)], nowMs: 110_000).map(\.item?.id) == [queued.id],
                "the Super Admin may claim in a members' stage")
    }

    @Test func theListIsNewestFirstAndTheSameForTheSameStateAndTime() {
        var f = TeamFixture(roles: [.admin, .member])
        for k in 0..<5 {
            f.write(1, .postMessage(MessageContent(channel: "general", text: "m\(k)", mentions: [f.id(2)])), at: 2000 + UInt64(k) * 10)
        }
        let list = f.replica.state.notifications(for: [f.id(2)], nowMs: 3000)
        #expect(list.map(\.message?.text) == ["m4", "m3", "m2", "m1", "m0"])
        #expect(list == f.replica.state.notifications(for: [f.id(2)], nowMs: 3000))
    }
}
