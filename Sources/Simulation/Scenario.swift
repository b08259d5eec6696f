import MeshCore
import Replicas

/// A simulation scenario: the mesh, its network, what happens to it, and what must hold.
/// Read from JSON by `Scenario(json:)`; Simulations/README.md documents every key.
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var nodes: Int
    public var topology: TopologySpec
    public var durationMs: Int64
    public var gossip: GossipConfiguration
    public var liveness: LivenessConfiguration
    public var network: NetworkSpec
    public var events: [ScenarioEvent]
    public var workload: Workload
    /// A team replicated across the nodes, and the writes its members make; nil for none.
    public var team: TeamWorkload?
    public var expect: [Expectation]
    /// Devices that join the team by code during the run (needs a team).
    public var pairings: [PairingRun] = []
    /// Nodes that turn hostile (Adversary.swift); empty for none.
    public var adversaries: [AdversarySpec] = []
    /// The replication core's limits, lowered by the scenario so a flood reaches them quickly.
    public var replication = ReplicationConfiguration()
    /// `deadDetected` checks this bound (crash → dead at every neighbour) instead of the one
    /// derived from the liveness settings; nil for the derived one.
    public var deadDetectedWithinMs: Int64? = nil

    /// Limits on what a scenario may ask for, so a typo cannot exhaust the machine.
    public enum Limits {
        public static let nodes: ClosedRange<Int64> = 1...10_000
        public static let durationMs: ClosedRange<Int64> = 1...3_600_000
        public static let broadcasts: ClosedRange<Int64> = 0...100_000
        public static let payloadBytes: ClosedRange<Int64> = 0...65_536
        public static let latencyMs: ClosedRange<Double> = 0...60_000
        public static let events = 10_000
    }
}

public struct TopologySpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case full, line, ring, random }
    public var kind: Kind
    /// Random topologies only: the degree each node aims for.
    public var degree: Int?
}

public struct NetworkSpec: Sendable, Equatable {
    /// One-way latency of each message, drawn uniformly, in milliseconds.
    public var latencyMs: ClosedRange<Double> = 1...5
    /// Probability that a message is lost.
    public var loss: Double = 0
    /// Probability that a message arrives twice.
    public var duplicate: Double = 0
    /// Probability that a message is held back past later ones on its link (links are FIFO otherwise).
    public var reorder: Double = 0
}

public struct ScenarioEvent: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Only nodes in the same group can reach each other; nodes not listed form one more group.
        case partition([[Int]])
        case heal
        case crash(Int)
        case restart(Int)
        /// Shifts a node's wall clock by `byMs` (its monotonic timers are unaffected).
        case clockSkew(node: Int, byMs: Int64)
    }

    public var atMs: Int64
    public var action: Action
}

public struct Workload: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        /// A node drawn from the seed among those running at that moment.
        case random
        case node(Int)
    }

    public var broadcasts: Int = 0
    public var from: Origin = .random
    /// First broadcast, in milliseconds.
    public var startMs: Int64 = 1000
    /// Last broadcast; by default half the duration, so the rest is left to converge.
    public var endMs: Int64?
    public var payloadBytes: Int = 64
}

/// One team over all nodes: node 0 creates it and adds every other node, the first `admins`
/// after it as Admins, the last `guests` as Guests, the rest as Members.
public struct TeamWorkload: Sendable, Equatable {
    public var admins = 1
    public var guests = 0
    /// Work items created by random members.
    public var items = 10
    /// Other writes by random members: claims, starts, completions, priorities, vault puts, renames.
    public var writes = 100
    /// Moments at which two or three members claim the same item at once.
    public var claimRaces = 0
    /// Writes forged by Guests (their own rule check skipped): every replica must refuse them.
    public var guestWrites = 0
    /// Messages posted by random members: to one of three channels, or to an item's thread.
    public var messages = 0
    public var startMs: Int64 = 1000
    /// Last write; by default half the duration.
    public var endMs: Int64?
}

/// One device joining the team by spoken code: at `atMs` the inviter (an Admin) opens a code
/// that grants `role`; the joiner, not a member until then, tries `wrongTries` wrong codes and
/// then the right one, each attempt a pairing run over a direct link between the two.
public struct PairingRun: Sendable, Equatable {
    public var atMs: Int64
    public var inviter: Int
    public var joiner: Int
    public var role: Role = .member
    public var wrongTries: Int = 0
}

/// An invariant checked over the run (Simulations/README.md says exactly what each means).
public enum Expectation: String, Sendable, Equatable, CaseIterable {
    case allDelivered
    case noDuplicateDelivery
    case ttlRespected
    case deadDetected
    case noFalseDead
    case boundedMemory
    case replicasConverged
    case noAcknowledgedOpLost
    case singleOwner
    case noGuestOpApplied
    case pairingsAsExpected
    case chunksSpread
    /// Every acknowledged message is held once by every running node of its author's component.
    case messagesIntact
    /// Adversaries (RunReport+Adversary.swift).
    case noForgedEffect
    case honestWritesAccepted
    case replicasBounded
}
