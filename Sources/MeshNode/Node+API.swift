import Foundation
import MeshCore
import Replicas
import Sodium
import Wire

/// What the services ask of the node: writes that return once durable, and reads.
extension Node {
    /// Creates a team with this node as its Super Admin. Returns once the op is stored.
    public func createTeam(name: String) async -> WriteOutcome {
        let request = takeRequest()
        return await withCheckedContinuation { continuation in
            waitingWrites[request] = continuation
            handle(.createTeam(name: name, nonce: Sodium.randomBytes(count: 16), wallMs: Self.wallClockMs(), request: request))
        }
    }

    /// Writes `operation` to `team` as this node. Returns once the op is stored (or refused).
    public func write(_ operation: TeamOperation, team: TeamID) async -> WriteOutcome {
        let request = takeRequest()
        return await withCheckedContinuation { continuation in
            waitingWrites[request] = continuation
            handle(.write(team: team, operation, wallMs: Self.wallClockMs(), request: request))
        }
    }

    /// The teams this node holds, by ID.
    public func teams() -> [TeamID] { core.replication.teamIDs }

    /// A team's current state.
    public func team(_ id: TeamID) -> TeamState? { core.replication.replica(id)?.state }

    /// A team's replica: its log and vector (for diagnostics).
    public func replica(_ id: TeamID) -> TeamReplica? { core.replication.replica(id) }

    public func replicationCounters() -> ReplicationCounters { core.replication.counters }

    private func takeRequest() -> UInt64 {
        nextRequest += 1
        return nextRequest
    }
}
