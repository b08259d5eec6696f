import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Who signs a local write (PROTOCOL.md section 13): a person who is a member signs as themself,
/// anyone else's write is the node's, and a member whose keys are not at hand is refused.
@Suite struct PersonWriteTests {
    let wall: UInt64 = 1_800_000_000_000
    let amara = identity(50)

    func teamWithAmara(role: Role = .admin) -> (Replication, TeamID) {
        var r = Replication(keyPair: identity(1), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = r.createTeam(name: "crew", nonce: [1], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { fatalError() }
        let outcome = r.write(.addMember(publicKey: amara.publicKey, role: role, invite: nil, name: "Amara", device: r.me),
                              team: genesis.id, wallMs: wall + 1, broadcasts: &broadcasts, effects: &effects)
        guard case .applied = outcome else { fatalError("\(outcome)") }
        return (r, genesis.id)
    }

    func write(_ r: inout Replication, _ op: TeamOperation, team: TeamID, as person: ActingPerson?, at offset: UInt64 = 10)
        -> WriteOutcome {
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        return r.write(op, team: team, wallMs: wall + offset, person: person, broadcasts: &broadcasts, effects: &effects)
    }

    @Test func aMemberPersonSignsAsThemself() throws {
        var (r, team) = teamWithAmara()
        let id = NodeID(publicKey: amara.publicKey)
        #expect(r.replica(team)?.state.role(of: id) == .admin)
        guard case let .applied(op) = write(&r, .renameTeam(name: "Amara's crew"), team: team, as: ActingPerson(id: id, keys: amara))
        else { Issue.record("refused"); return }
        #expect(op.author == id && op.body.seq == 1, "the person's own sequence starts at 1")
        #expect(op.body.authorKey == amara.publicKey && amara.publicKey.isValidSignature(op.signature, for: op.bodyBytes),
                "signed by the person's key")
        guard case let .applied(second) = write(&r, .renameTeam(name: "again"), team: team, as: ActingPerson(id: id, keys: amara),
                                               at: 5)
        else { Issue.record("refused"); return }
        #expect(second.body.seq == 2 && second.body.hlc > op.body.hlc, "the node's clock dates it, after the first")
        #expect(r.replica(team)?.vector[id] == 2 && r.replica(team)?.vector[r.me] == 2)
    }

    @Test func aPersonWhoIsNotAMemberWritesThroughTheNode() {
        var (r, team) = teamWithAmara()
        let stranger = identity(51)
        guard case let .applied(op) = write(&r, .renameTeam(name: "by the node"), team: team,
                                            as: ActingPerson(id: NodeID(publicKey: stranger.publicKey), keys: stranger))
        else { Issue.record("refused"); return }
        #expect(op.author == r.me)
        guard case let .applied(plain) = write(&r, .renameTeam(name: "operator"), team: team, as: nil) else { Issue.record("refused"); return }
        #expect(plain.author == r.me)
    }

    @Test func aMemberWithoutKeysOrWithSomeoneElsesIsRefused() {
        var (r, team) = teamWithAmara()
        let id = NodeID(publicKey: amara.publicKey)
        let before = r.replica(team)?.opCount
        let noKeys = write(&r, .renameTeam(name: "x"), team: team, as: ActingPerson(id: id, keys: nil))
        guard case let .refused(reason, detail) = noKeys else { Issue.record("\(noKeys)"); return }
        #expect(reason == .forbidden && detail.contains("sign in again"))
        let wrongKeys = write(&r, .renameTeam(name: "x"), team: team, as: ActingPerson(id: id, keys: identity(52)))
        guard case .refused(.forbidden, _) = wrongKeys else { Issue.record("\(wrongKeys)"); return }
        #expect(r.replica(team)?.opCount == before, "nothing was signed")
        #expect(r.counters.writesRefused == 2)
    }

    /// Removal is real: a removed person's writes do not fall back to the node's key.
    @Test func aRemovedPersonIsNotSignedForByTheNode() {
        var (r, team) = teamWithAmara()
        let id = NodeID(publicKey: amara.publicKey)
        guard case .applied = write(&r, .removeMember(id, seenSeq: nil), team: team, as: nil) else { Issue.record("removal refused"); return }
        let outcome = write(&r, .renameTeam(name: "still here"), team: team, as: ActingPerson(id: id, keys: amara))
        guard case let .refused(reason, detail) = outcome else { Issue.record("\(outcome)"); return }
        #expect(reason == .notAMember && detail.contains("removed"))
        #expect(r.replica(team)?.state.name.value == "crew")
        // Added again, they write as themselves again.
        guard case .applied = write(&r, .addMember(publicKey: amara.publicKey, role: .admin, invite: nil, name: "Amara"), team: team, as: nil),
              case let .applied(op) = write(&r, .renameTeam(name: "back"), team: team, as: ActingPerson(id: id, keys: amara))
        else { Issue.record("re-adding failed"); return }
        #expect(op.author == id)
    }

    /// The person's rights are the person's: a Member person cannot do what only an Admin may,
    /// even on the node of the team's Super Admin.
    @Test func aPersonWritesWithTheirOwnRole() {
        var (r, team) = teamWithAmara(role: .member)
        let outcome = write(&r, .renameTeam(name: "x"), team: team, as: ActingPerson(id: NodeID(publicKey: amara.publicKey), keys: amara))
        guard case .refused = outcome else { Issue.record("a Member renamed the team: \(outcome)"); return }
        guard case .applied = write(&r, .renameTeam(name: "x"), team: team, as: nil) else { Issue.record("the node could not"); return }
    }

    /// After a restart the node's clock must be past a person's ops too (they are dated by it),
    /// or the person's next op would sort before their last.
    @Test func aRestartedNodeDatesAPersonsNextOpAfterTheirLast() {
        var (r, team) = teamWithAmara()
        let id = NodeID(publicKey: amara.publicKey)
        guard case let .applied(last) = write(&r, .renameTeam(name: "late"), team: team, as: ActingPerson(id: id, keys: amara),
                                              at: 90_000)
        else { Issue.record("refused"); return }
        var restarted = Replication(keyPair: identity(1), configuration: ReplicationConfiguration(), restoredLogs: [r.replica(team)!.log])
        guard case let .applied(next) = write(&restarted, .renameTeam(name: "next"), team: team, as: ActingPerson(id: id, keys: amara),
                                              at: 0)
        else { Issue.record("refused"); return }
        #expect(next.body.hlc > last.body.hlc && next.body.seq == last.body.seq + 1)
    }

    @Test func aPersonsDisplayNameIsCheckedBeforeSigning() {
        var (r, team) = teamWithAmara()
        for bad in ["", String(repeating: "a", count: 65), "Eve\u{202E}exe", "two\nlines"] {
            let outcome = write(&r, .addMember(publicKey: identity(60).publicKey, role: .member, invite: nil, name: bad), team: team, as: nil)
            guard case .invalid = outcome else { Issue.record("'\(bad)' was accepted: \(outcome)"); continue }
        }
        guard case .applied = write(&r, .addMember(publicKey: identity(60).publicKey, role: .member, invite: nil,
                                                   name: String(repeating: "a", count: 64)), team: team, as: nil)
        else { Issue.record("64 bytes refused"); return }
        #expect(r.replica(team)?.state.members[NodeID(publicKey: identity(60).publicKey)]?.person?.value.name == String(repeating: "a", count: 64))
    }
}
