import Replicas
import Testing
import Wire
@testable import MeshCore

/// The wall clock the receivers of these tests read (the ops are written at about this time).
private let testWall: UInt64 = 1_800_000_000_000

/// Ops that arrive by sync spread on by vectors (PROTOCOL.md section 8): a pull that brought
/// news makes the other neighbours pull from this node, so a gap crosses a line of nodes as
/// exact differences, and no op is sent to a node twice.
@Suite struct SyncPassOnTests {
    let wall: UInt64 = 1_800_000_000_000

    /// Three replication cores in a line a – b – c; a holds a team with `writes` ops, and b and
    /// c only its creating op.
    struct Line {
        var cores: [NodeID: Replication] = [:]
        var ids: [NodeID]
        var team: TeamID
        /// Every message put on a link, in order: (from, to, message).
        var sent: [(NodeID, NodeID, MeshMessage)] = []

        init(writes: Int, wall: UInt64) {
            var a = Replication(keyPair: identity(1), configuration: ReplicationConfiguration())
            var b = Replication(keyPair: identity(2), configuration: ReplicationConfiguration())
            var c = Replication(keyPair: identity(3), configuration: ReplicationConfiguration())
            var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
            guard case let .applied(genesis) = a.createTeam(name: "crew", nonce: [1], wallMs: wall, broadcasts: &broadcasts,
                                                            effects: &effects) else { fatalError("no team") }
            team = genesis.id
            for n in [2, 3] {
                _ = a.write(.addMember(publicKey: identity(n).publicKey, role: .member, invite: nil), team: team,
                            wallMs: wall + UInt64(n), broadcasts: &broadcasts, effects: &effects)
            }
            for k in 0..<writes {
                _ = a.write(.renameTeam(name: "name \(k)"), team: team, wallMs: wall + 10 + UInt64(k), broadcasts: &broadcasts,
                            effects: &effects)
            }
            _ = b.receiveBroadcast(GossipPayloadCoding.encode(genesis), wallMs: testWall, effects: &effects)
            _ = c.receiveBroadcast(GossipPayloadCoding.encode(genesis), wallMs: testWall, effects: &effects)
            ids = [a.me, b.me, c.me]
            cores = [a.me: a, b.me: b, c.me: c]
        }

        func neighbours(of id: NodeID) -> [NodeID] {
            switch id {
            case ids[0]: [ids[1]]
            case ids[1]: [ids[0], ids[2]]
            default: [ids[1]]
            }
        }

        /// b pulls from a, a answers at once, and its batch reaches b at 10 ms: what b sends then.
        mutating func bPullsFromA() -> [MeshEffect] {
            let (a, b, c) = (ids[0], ids[1], ids[2])
            var pull: [MeshEffect] = [], answer: [MeshEffect] = [], news: [MeshEffect] = []
            cores[b]!.peerUp(a, at: .zero, effects: &pull)
            for (message, _) in pull.sent { cores[a]!.receive(message, from: b, at: .zero, wallMs: testWall, effects: &answer) }
            for (message, _) in answer.sent {
                cores[b]!.receive(message, from: a, at: .ms(10), wallMs: testWall, neighbours: [a, c], effects: &news)
            }
            return news
        }

        /// Delivers `effects` of `from`, and everything they cause, until the line is quiet.
        mutating func run(_ effects: [MeshEffect], from: NodeID) {
            var queue: [(NodeID, NodeID, MeshMessage)] = effects.sent.map { (from, $0.1, $0.0) }
            var steps = 0
            while !queue.isEmpty, steps < 1000 {
                let (source, target, message) = queue.removeFirst()
                sent.append((source, target, message))
                var out: [MeshEffect] = []
                cores[target]!.receive(message, from: source, at: .zero, wallMs: testWall, neighbours: neighbours(of: target), effects: &out)
                queue += out.sent.map { (target, $0.1, $0.0) }
                steps += 1
            }
        }
    }

    @Test func newsFromAPullReachesTheNextNodeAsAnExactDifference() {
        var line = Line(writes: 20, wall: wall)
        let (a, b, c) = (line.ids[0], line.ids[1], line.ids[2])
        // b's link to a comes up (as after a heal); c's link to b never went down.
        var effects: [MeshEffect] = []
        line.cores[b]!.peerUp(a, at: .zero, effects: &effects)
        line.run(effects, from: b)

        let full = line.cores[a]!.replica(line.team)!
        #expect(line.cores[b]!.replica(line.team)?.vector == full.vector)
        #expect(line.cores[c]!.replica(line.team)?.vector == full.vector, "c heard b's vector and pulled")
        #expect(!line.sent.contains { $0.0 == a && $0.1 == c }, "a and c have no link")
        // Each of b and c was sent exactly the ops it lacked.
        let missing = full.log.dropFirst().reduce(0) { $0 + $1.size }
        #expect(line.cores[a]!.counters.syncOpBytesSent == missing)
        #expect(line.cores[b]!.counters.syncOpBytesSent == missing)
        #expect(line.cores[c]!.counters.syncOpBytesLogged == missing)
        // b→a vector, a→b batch; b→c vector (news), c→b "nothing for you", c→b vector, b→c
        // batch; and c, whose pull brought news too, has no other neighbour to tell.
        #expect(line.sent.count == 6, "\(line.sent.map { "\($0.2)" })")
    }

    @Test func aWaitingPeerWhoseVectorIsCoveredByItsTurnIsNotPulled() {
        var line = Line(writes: 5, wall: wall)
        let (a, b, c) = (line.ids[0], line.ids[1], line.ids[2])
        // c already holds everything a holds.
        var effects: [MeshEffect] = []
        line.cores[c]!.peerUp(a, at: .zero, effects: &effects)
        var toA: [MeshEffect] = []
        for case let (message, _) in effects.sent { line.cores[a]!.receive(message, from: c, at: .zero, wallMs: testWall, effects: &toA) }
        var toC: [MeshEffect] = []
        for case let (message, _) in toA.sent { line.cores[c]!.receive(message, from: a, at: .zero, wallMs: testWall, effects: &toC) }
        #expect(line.cores[c]!.replica(line.team)?.vector == line.cores[a]!.replica(line.team)?.vector)

        // b starts pulling from a; before a answers, c shows b its vector (it wants a reply).
        var pull: [MeshEffect] = []
        line.cores[b]!.peerUp(a, at: .zero, effects: &pull)
        let cVector = line.cores[c]!.replica(line.team)!.vector
        var answerToC: [MeshEffect] = []
        line.cores[b]!.receive(.syncVector(team: line.team.bytes, entries: cVector.entries.map { VectorEntry(author: $0.author, seq: $0.seq) },
                                           reply: true), from: c, at: .zero, wallMs: testWall, effects: &answerToC)
        #expect(!answerToC.sent.contains { if case .syncVector = $0.0 { true } else { false } }, "one pull at a time: c waits")

        // a's answer arrives (b tells no neighbours here): by c's turn b holds all c showed.
        var answer: [MeshEffect] = []
        for case let (message, _) in pull.sent { line.cores[a]!.receive(message, from: b, at: .zero, wallMs: testWall, effects: &answer) }
        var after: [MeshEffect] = []
        for case let (message, _) in answer.sent { line.cores[b]!.receive(message, from: a, at: .zero, wallMs: testWall, effects: &after) }
        #expect(line.cores[b]!.replica(line.team)?.vector == cVector)
        #expect(after.sent(to: c).isEmpty, "c showed nothing b lacks now: it is not pulled")
    }

    /// How long a pull or an announcement waits for an answer.
    let timeout = ReplicationConfiguration().syncTimeout

    func vectors(_ effects: [MeshEffect], to peer: NodeID) -> Int {
        effects.sent(to: peer).filter { if case .syncVector(_, _, true) = $0 { true } else { false } }.count
    }

    @Test func aPullLeftUnansweredIsTriedOnceMoreThenGivenUp() {
        var line = Line(writes: 3, wall: wall)
        let (a, b, c) = (line.ids[0], line.ids[1], line.ids[2])
        var rng = SeededGenerator(seed: 1)
        var first: [MeshEffect] = []
        line.cores[b]!.peerUp(a, at: .zero, effects: &first)
        #expect(vectors(first, to: a) == 1)
        // The vector is lost. Past the timeout, a is asked once more...
        var retry: [MeshEffect] = []
        line.cores[b]!.timer(at: .zero + timeout + .milliseconds(1), reachable: [a, c], using: &rng, effects: &retry)
        #expect(vectors(retry, to: a) == 1)
        // ...and once only: a second silence waits for the periodic sync.
        var none: [MeshEffect] = []
        line.cores[b]!.timer(at: .zero + timeout * 2 + .milliseconds(2), reachable: [a, c], using: &rng, effects: &none)
        #expect(vectors(none, to: a) == 0)
    }

    @Test func aNeighbourThatDoesNotAnswerTheNewsIsToldOnceMore() {
        var line = Line(writes: 3, wall: wall)
        let (a, b, c) = (line.ids[0], line.ids[1], line.ids[2])
        var rng = SeededGenerator(seed: 1)
        let news = line.bPullsFromA()
        #expect(vectors(news, to: c) == 1, "b pulled news and tells c")
        #expect(vectors(news, to: a) == 0, "not the peer the news came from")

        // c's answer is lost: c hears the vector once more, then no more.
        var again: [MeshEffect] = []
        line.cores[b]!.timer(at: .ms(11) + timeout, reachable: [a, c], using: &rng, effects: &again)
        #expect(vectors(again, to: c) == 1)
        var done: [MeshEffect] = []
        line.cores[b]!.timer(at: .ms(12) + timeout * 2, reachable: [a, c], using: &rng, effects: &done)
        #expect(vectors(done, to: c) == 0)

        // An answer ends the wait: a neighbour that answered is not told again.
        var line2 = Line(writes: 3, wall: wall)
        let news2 = line2.bPullsFromA()
        var reply: [MeshEffect] = []
        for (message, _) in news2.sent where message.isVector { line2.cores[c]!.receive(message, from: b, at: .ms(20), wallMs: testWall, effects: &reply) }
        var ignored: [MeshEffect] = []
        for (message, _) in reply.sent { line2.cores[b]!.receive(message, from: c, at: .ms(30), wallMs: testWall, effects: &ignored) }
        var later: [MeshEffect] = []
        line2.cores[b]!.timer(at: .ms(11) + timeout, reachable: [a, c], using: &rng, effects: &later)
        #expect(vectors(later, to: c) == 0)
    }
}

extension MeshMessage {
    var isVector: Bool { if case .syncVector = self { true } else { false } }
}

/// A paged pull is timed by its peer's silence, not by its length.
@Suite struct SyncTimeoutTests {
    @Test func aLongPullThatKeepsMovingIsNotCutOffNorAskedTwice() {
        var configuration = ReplicationConfiguration()
        configuration.batchBytes = 600 // a few ops per page: the difference takes many pages
        var a = Replication(keyPair: identity(1), configuration: configuration)
        var b = Replication(keyPair: identity(2), configuration: configuration)
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        let wall: UInt64 = 1_800_000_000_000
        guard case let .applied(genesis) = a.createTeam(name: "crew", nonce: [1], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { Issue.record("no team"); return }
        _ = a.write(.addMember(publicKey: identity(2).publicKey, role: .member, invite: nil), team: genesis.id,
                    wallMs: wall + 1, broadcasts: &broadcasts, effects: &effects)
        for k in 0..<40 {
            _ = a.write(.renameTeam(name: "name \(k)"), team: genesis.id, wallMs: wall + 10 + UInt64(k),
                        broadcasts: &broadcasts, effects: &effects)
        }
        _ = b.receiveBroadcast(GossipPayloadCoding.encode(genesis), wallMs: testWall, effects: &effects)

        // Each page takes three quarters of the timeout to come back: the whole pull lasts far
        // longer than the timeout, but no gap between pages does.
        var rng = SeededGenerator(seed: 1)
        var now = Instant.zero
        var toA: [MeshEffect] = []
        b.peerUp(a.me, at: now, effects: &toA)
        var pages = 0
        while !toA.sent.isEmpty, pages < 100 {
            var toB: [MeshEffect] = []
            for (message, _) in toA.sent { a.receive(message, from: b.me, at: now, wallMs: testWall, effects: &toB) }
            now = now + configuration.syncTimeout * 3 / 4
            var timedOut: [MeshEffect] = []
            b.timer(at: now, reachable: [a.me], using: &rng, effects: &timedOut)
            #expect(timedOut.sent.isEmpty, "page \(pages): a pull that keeps moving is not retried")
            toA = []
            for (message, _) in toB.sent { b.receive(message, from: a.me, at: now, wallMs: testWall, effects: &toA) }
            pages += 1
        }
        #expect(pages > 3, "the difference took several pages")
        #expect(b.replica(genesis.id)?.vector == a.replica(genesis.id)?.vector)
        let missing = a.replica(genesis.id)!.log.dropFirst().reduce(0) { $0 + $1.size }
        #expect(a.counters.syncOpBytesSent == missing, "every op was sent once")
    }
}
