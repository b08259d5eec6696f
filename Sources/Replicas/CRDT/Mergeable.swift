/// A state-based CRDT: any two states merge into one, and merging is commutative,
/// associative and idempotent, so replicas that have seen the same updates hold the same
/// state whatever order they merged in (Shapiro et al., 2011). Tests/ReplicasTests checks the
/// three laws for every conforming type over seeded random states.
public protocol Mergeable: Equatable, Sendable {
    func merged(with other: Self) -> Self
}

/// The stamp that orders writes to a register: HLC, then author (DESIGN.md section 4).
public typealias WriteStamp = OpSortKey
