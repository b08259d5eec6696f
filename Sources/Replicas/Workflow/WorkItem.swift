import Wire

/// A workflow definition: its stages in order.
public struct Workflow: Equatable, Sendable {
    public var id: OpID
    public var name: String
    public var stages: [StageDefinition]
    public var definedBy: NodeID
}

/// A work item as the replicas agree on it.
public struct WorkItem: Equatable, Sendable {
    public var id: OpID
    public var workflow: OpID
    public var title: String
    public var priority: LWWRegister<Int32>
    public var stage: Int
    public var status: ItemStatus
    public var assignee: NodeID?
    /// The op of the latest status change: a change must name it as its `base`.
    public var revision: OpID
    public var revisionAuthor: NodeID
    /// When the item entered its current stage (HLC wall clock): its SLA counts from here.
    public var stageEnteredWallMs: UInt64
    public var createdBy: NodeID
    public var history: [ItemEvent]
}

/// One step of an item's life.
public struct ItemEvent: Equatable, Sendable {
    public var op: OpID
    public var action: String
    public var by: NodeID
    public var at: HLCTimestamp
    public var stage: Int
    public var status: ItemStatus
}

/// Where an item stands against its stage's SLA.
public enum SLAState: String, Sendable, Equatable {
    /// Under 80% of the stage's time used (or no SLA).
    case ok
    /// 80% or more used.
    case warning
    /// The stage's time is used up.
    case overdue
    /// The item is completed: no SLA applies.
    case done

    /// The state at wall time `nowMs` of an item that entered a stage with `slaSeconds` at
    /// `enteredMs`. Thresholds: warning at 80%, overdue at 100% (the Workflow issue).
    public static func of(enteredMs: UInt64, slaSeconds: UInt64?, nowMs: UInt64, completed: Bool) -> SLAState {
        if completed { return .done }
        guard let sla = slaSeconds, sla > 0 else { return .ok }
        // The SLA and the entry time come from signed ops: every product saturates, so no value
        // a peer signs can trap here (or in the snapshot that calls this after each commit).
        let elapsed = nowMs > enteredMs ? nowMs - enteredMs : 0
        let budget = saturating(sla, 1000)
        if elapsed >= budget { return .overdue }
        if saturating(elapsed, 10) >= saturating(budget, 8) { return .warning }
        return .ok
    }

    private static func saturating(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : product
    }
}

extension TeamState {
    /// The SLA state of `item` at wall time `nowMs`.
    public func sla(of item: WorkItem, nowMs: UInt64) -> SLAState {
        let stage = stage(of: item)
        return SLAState.of(enteredMs: item.stageEnteredWallMs, slaSeconds: stage?.slaSeconds, nowMs: nowMs,
                           completed: item.status == .completed)
    }

    /// The stage `item` is in (nil if its workflow is unknown here).
    public func stage(of item: WorkItem) -> StageDefinition? { workflows[item.workflow]?.stages[safe: item.stage] }

    /// Items of a workflow (or all) that `role` may work on, highest priority first, then oldest.
    public func queue(workflow: OpID? = nil, role: Role? = nil) -> [WorkItem] {
        items.values.filter { item in
            guard workflow == nil || item.workflow == workflow else { return false }
            guard let role else { return true }
            return workflows[item.workflow]?.stages[safe: item.stage]?.admits(role) ?? false
        }.sorted { a, b in
            if a.priority.value != b.priority.value { return a.priority.value > b.priority.value }
            return (a.history.first?.at ?? .zero, a.id) < (b.history.first?.at ?? .zero, b.id)
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
