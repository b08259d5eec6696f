import Wire

/// Rules for workflows and work items (PROTOCOL.md section 7.3).
enum WorkflowRules {
    static func apply(_ op: SignedOp, role: Role, to state: inout TeamState) -> TeamRules.Outcome {
        let author = op.author
        switch op.body.operation {
        case let .defineWorkflow(name, stages):
            if let r = TeamRules.require(role, .admin) { return r }
            state.workflows[op.id] = Workflow(id: op.id, name: name, stages: stages, definedBy: author)
            return .applied
        case let .createItem(workflow, title, priority):
            guard state.workflows[workflow] != nil else { return .rejected(.unknownTarget, "no workflow \(workflow.short)") }
            let event = ItemEvent(op: op.id, action: "create", by: author, at: op.body.hlc, stage: 0, status: .queued)
            state.items[op.id] = WorkItem(id: op.id, workflow: workflow, title: title,
                                          priority: LWWRegister(priority, stamp: op.sortKey), stage: 0, status: .queued,
                                          assignee: nil, revision: op.id, revisionAuthor: author,
                                          stageEnteredWallMs: op.body.hlc.wallMs, createdBy: author, history: [event])
            return .applied
        case let .claimItem(itemID, base):
            return change(itemID, base: base, action: "claim", op: op, state: &state) { item, workflow in
                guard item.status == .queued else { return .rejected(.invalid, "item is \(item.status)") }
                let stage = workflow.stages[item.stage]
                guard stage.admits(role) else {
                    return .rejected(.forbidden, "stage '\(stage.name)' is for \(stage.roles.map(\.description).joined(separator: ", ")) and above; you are \(role)")
                }
                item.status = .claimed
                item.assignee = author
                return .applied
            }
        case let .startItem(itemID, base):
            return change(itemID, base: base, action: "start", op: op, state: &state) { item, _ in
                guard item.status == .claimed else { return .rejected(.invalid, "item is \(item.status)") }
                guard item.assignee == author else { return .rejected(.forbidden, "only the assignee starts an item") }
                item.status = .inProgress
                return .applied
            }
        case let .completeItem(itemID, base):
            return change(itemID, base: base, action: "complete", op: op, state: &state) { item, workflow in
                guard item.status == .inProgress || item.status == .claimed else {
                    return .rejected(.invalid, "item is \(item.status)")
                }
                guard item.assignee == author else { return .rejected(.forbidden, "only the assignee completes an item") }
                if item.stage + 1 < workflow.stages.count {
                    item.stage += 1
                    item.status = .queued
                    item.assignee = nil
                    item.stageEnteredWallMs = op.body.hlc.wallMs
                } else {
                    item.status = .completed
                }
                return .applied
            }
        case let .setPriority(itemID, priority):
            guard state.items[itemID] != nil else { return .rejected(.unknownTarget, "no item \(itemID.short)") }
            state.items[itemID]!.priority.assign(priority, stamp: op.sortKey)
            return .applied
        default:
            return .rejected(.invalid, "not a workflow op")
        }
    }

    /// A status change: it must name the item's current revision, else it lost a race to the
    /// change that made that revision, and is recorded as a conflict.
    private static func change(_ itemID: OpID, base: OpID, action: String, op: SignedOp, state: inout TeamState,
                               _ body: (inout WorkItem, Workflow) -> TeamRules.Outcome) -> TeamRules.Outcome {
        guard var item = state.items[itemID], let workflow = state.workflows[item.workflow] else {
            return .rejected(.unknownTarget, "no item \(itemID.short)")
        }
        guard base == item.revision else {
            return .conflict(Conflict(op: op.id, author: op.author, item: itemID, action: action, winningOp: item.revision,
                                      winner: item.revisionAuthor, at: op.body.hlc))
        }
        let outcome = body(&item, workflow)
        guard outcome == .applied else { return outcome }
        item.revision = op.id
        item.revisionAuthor = op.author
        item.history.append(ItemEvent(op: op.id, action: action, by: op.author, at: op.body.hlc, stage: item.stage,
                                      status: item.status))
        state.items[itemID] = item
        return .applied
    }
}
