import HeapModule
import Wire

/// One team's replica: its op log and the state folded from it (DESIGN.md section 4).
///
/// Rules it keeps:
/// - an op enters the log only with a valid signature (checked when it was decoded), for this
///   team, by an author the log names (the creator, or a key an `AddMember` op in the log adds):
///   a stranger's ops wait apart (at most `maxStrangerOps`, each at most `maxHeldAgeMs`) for an
///   `AddMember` naming them, so strangers fill neither the log nor the version vector;
///   as its author's next sequence number, and dated (HLC) after its author's previous op:
///   an author's clock rises with its sequence numbers, so an op cannot be dated before one its
///   author had already signed. An op ahead of a gap is held until the gap fills (at most
///   `maxHeldOps`, each at most `maxHeldAgeMs`), and a second op with a sequence number already
///   taken is refused as equivocation. Every refusal is counted by reason;
/// - the state is the fold of every logged op in `OpSortKey` order; an op that sorts before
///   ops already folded refolds from the nearest checkpoint, so the state never depends on the
///   order ops arrived in; a removal or demotion holds for the member's ops its writer had not
///   seen, wherever they sort (`RemovalCuts`), and one that arrives refolds from the first of them;
/// - the version vector says exactly which ops the log holds, so anti-entropy can send the
///   difference, in an order where each op's author was added before it (`ops(missingFrom:)`).
public struct TeamReplica: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Ops held back behind a sequence gap.
        public var maxHeldOps = 10_000
        /// An op is held only when its sequence number is at most this far past what the log
        /// has from its author: one author (a stranger, or a member signing far ahead) cannot
        /// fill the room every author's gaps share; ops further ahead are refused and come
        /// back through sync, in order.
        public var maxHeldAhead: UInt64 = 1_000
        /// How long an op may wait for its predecessor (by the wall time passed to `ingest` and
        /// `dropHeld`): ten minutes, time for several syncs; a dropped op comes back by sync,
        /// in order.
        public var maxHeldAgeMs: UInt64 = 10 * 60 * 1000
        /// Ops by keys no `AddMember` in the log names yet, kept until one arrives (a new member's
        /// first ops can outrun the op that adds it); beyond it they are refused and come back
        /// by sync, which sends each author's ops after the op that added it.
        public var maxStrangerOps = 1_000
        /// Ops in the log; beyond it new ops are refused (counted).
        public var maxOps = 2_000_000
        /// Ops between checkpoints, and checkpoints kept (the most recent ones).
        public var checkpointInterval = 1024
        public var checkpointsKept = 16
        public init() {}
    }

    public struct Counters: Sendable, Equatable {
        public var accepted = 0
        public var duplicates = 0
        public var held = 0
        public var releasedFromHold = 0
        public var heldDropped = 0
        public var heldExpired = 0
        /// Ops dated at or before their author's previous op.
        public var hlcNotRising = 0
        /// Ops by keys no `AddMember` in the log names (kept apart or refused).
        public var strangerOps = 0
        /// Of those, refused (the room full) or let go (older than `maxHeldAgeMs`).
        public var strangersDropped = 0
        public var equivocations = 0
        public var wrongTeam = 0
        public var logFull = 0
        public var refolds = 0
        public var refoldedOps = 0
    }

    /// What happened to one incoming op.
    public enum Admission: Equatable, Sendable {
        case logged
        case duplicate
        case held
        case refused(String)
    }

    /// The result of one `ingest`: the ops that entered the log (in fold order) and how the
    /// rules decided each.
    public struct Report: Sendable {
        public var admissions: [(OpID, Admission)] = []
        public var logged: [SignedOp] = []
        public var outcomes: [OpID: RuleOutcome] = [:]
        public var refolded = false
    }

    public let id: TeamID
    public let limits: Limits
    public private(set) var vector = VersionVector()
    public private(set) var state: TeamState
    public private(set) var counters = Counters()

    private let genesis: SignedOp
    /// Each author's ops by sequence number (index = seq − 1): what anti-entropy serves.
    private var byAuthor: [NodeID: [SignedOp]] = [:]
    /// Every logged op in fold order.
    private var ordered: [SignedOp] = []
    /// Ops waiting for their predecessor, with their arrival time (wall ms).
    private var held: [NodeID: [UInt64: (op: SignedOp, atMs: UInt64)]] = [:]
    private var heldCount = 0
    /// State after folding `ordered[0..<count]`, most recent last.
    private var checkpoints: [(count: Int, state: TeamState)] = []
    private let genesisState: TeamState
    /// The log's removals and demotions, by member.
    public private(set) var cuts = RemovalCuts()
    /// Set by `append` when a removal or demotion entered the log in this `ingest`.
    private var cutLogged = false
    /// The creator and every key an `AddMember` op in the log adds: whose ops may be logged.
    private var knownAuthors: Set<NodeID>
    /// For each added key, the earliest-sorting `AddMember` op naming it, and that op's author.
    private var firstAdd: [NodeID: (key: OpSortKey, by: NodeID)] = [:]
    /// Ops of keys not known yet, by author and seq, with their arrival time (wall ms).
    private var strangers: [NodeID: [UInt64: (op: SignedOp, atMs: UInt64)]] = [:]
    private var strangerCount = 0
    /// Keys an `AddMember` made known during this `ingest`: their waiting ops are admitted.
    private var newlyKnown: [NodeID] = []

    /// A replica of the team `genesis` creates.
    public init(genesis: SignedOp, limits: Limits = Limits()) throws(OpError) {
        guard case let .createTeam(name, _) = genesis.body.operation, genesis.body.seq == 1 else {
            throw .badField("op", reason: "a team starts with a create-team op of sequence number 1")
        }
        self.genesis = genesis
        self.limits = limits
        id = genesis.id
        genesisState = TeamState(genesis: genesis, name: name, failsafeSilenceDays: 30)
        state = genesisState
        knownAuthors = [genesis.author]
        byAuthor[genesis.author] = [genesis]
        vector[genesis.author] = 1
        ordered = [genesis]
        counters.accepted = 1
    }

    /// Ops in the log.
    public var opCount: Int { ordered.count }
    public var heldOpCount: Int { heldCount }
    /// Ops of keys not known yet, waiting for the op that adds them.
    public var strangerOpCount: Int { strangerCount }

    /// Every logged op in fold order (for storage and tests).
    public var log: [SignedOp] { ordered }

    // MARK: Ingest

    /// Takes in ops from anywhere (the author itself, gossip, a sync batch), in any order, at
    /// wall time `atMs` (the age of ops held behind a gap is counted from it).
    public mutating func ingest(_ ops: [SignedOp], atMs: UInt64 = 0) -> Report {
        var report = Report()
        var fresh: [SignedOp] = []
        cutLogged = false
        for op in ops {
            let admission = admit(op, into: &fresh, atMs: atMs)
            report.admissions.append((op.id, admission))
        }
        // Strangers that an op just logged has added join the log now, in their own order.
        while let member = newlyKnown.popLast() {
            guard let waiting = strangers.removeValue(forKey: member) else { continue }
            strangerCount -= waiting.count
            for seq in waiting.keys.sorted() { _ = admit(waiting[seq]!.op, into: &fresh, atMs: waiting[seq]!.atMs) }
        }
        guard !fresh.isEmpty else { return report }
        fresh.sort { $0.sortKey < $1.sortKey }
        report.logged = fresh
        // A new removal changes how ops already folded are judged: from the first op it may cut.
        let cutFrom = cutLogged ? firstOpACutMayReach() : nil
        if let last = ordered.last, fresh[0].sortKey > last.sortKey, cutFrom.map({ $0 > last.sortKey }) ?? true {
            for op in fresh {
                ordered.append(op)
                report.outcomes[op.id] = fold(op)
                checkpointIfDue()
            }
        } else {
            var first = insertSorted(fresh)
            if let cutFrom { first = min(first, position(of: cutFrom)) }
            refold(from: first, report: &report)
        }
        return report
    }

    /// Takes in a log read back from this node's own storage (genesis excluded), in any order:
    /// every key its `AddMember` ops add is known first, since storage holds whole logs and the
    /// order they are read in is not the order they were logged in.
    public mutating func restore(_ ops: [SignedOp]) -> Report {
        for op in ops { if case let .addMember(key, _, _, _, _) = op.body.operation { knownAuthors.insert(NodeID(publicKey: key)) } }
        return ingest(ops.sorted { $0.body.seq < $1.body.seq })
    }

    /// How the rules would decide `op` if it were folded next (the check of a local write).
    public func check(_ op: SignedOp) -> RuleOutcome { state.check(op, cuts: cuts) }

    /// Whether some AddMember in this log adds `author`'s key (or it founded the team): only
    /// such an author's ops enter the log; anyone else's are set aside as a stranger's.
    public func knowsAuthor(_ author: NodeID) -> Bool { knownAuthors.contains(author) }

    /// Lets go of held ops that arrived more than `maxHeldAgeMs` before `nowMs`; returns how
    /// many. They come back by sync once their predecessors are here.
    public mutating func dropHeld(at nowMs: UInt64) -> Int {
        for author in strangers.keys.sorted() {
            let stale = strangers[author]!.filter { nowMs >= $0.value.atMs && nowMs - $0.value.atMs > limits.maxHeldAgeMs }.keys
            for seq in stale { strangers[author]![seq] = nil }
            strangerCount -= stale.count
            counters.strangersDropped += stale.count
            if strangers[author]!.isEmpty { strangers[author] = nil }
        }
        guard heldCount > 0 else { return 0 }
        var dropped = 0
        for author in held.keys.sorted() {
            let stale = held[author]!.filter { nowMs >= $0.value.atMs && nowMs - $0.value.atMs > limits.maxHeldAgeMs }.keys
            for seq in stale { held[author]![seq] = nil }
            dropped += stale.count
            if held[author]!.isEmpty { held[author] = nil }
        }
        heldCount -= dropped
        counters.heldExpired += dropped
        return dropped
    }

    /// The earliest-sorting op any logged cut may judge differently: for each member cut, its
    /// first op past the lowest `seenSeq` (an author's HLC rises with its seq, so that op sorts
    /// first among them).
    private func firstOpACutMayReach() -> OpSortKey? {
        cuts.members.compactMap { op(author: $0.member, seq: $0.seenSeq &+ 1)?.sortKey }.min()
    }

    /// The index in `ordered` of the op sorting at `key` (or the first after it).
    private func position(of key: OpSortKey) -> Int {
        var lo = 0, hi = ordered.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ordered[mid].sortKey < key { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private mutating func admit(_ op: SignedOp, into fresh: inout [SignedOp], atMs: UInt64) -> Admission {
        guard op.body.team == id else {
            if op.id == id { counters.duplicates += 1; return .duplicate }
            counters.wrongTeam += 1
            return .refused("op belongs to another team")
        }
        let author = op.author, seq = op.body.seq
        guard knownAuthors.contains(author) else {
            counters.strangerOps += 1
            if strangers[author]?[seq] != nil { return .duplicate }
            guard strangerCount < limits.maxStrangerOps else {
                counters.strangersDropped += 1
                return .refused("\(author.short) is not a member here: no AddMember in this log adds its key")
            }
            strangers[author, default: [:]][seq] = (op, atMs)
            strangerCount += 1
            return .held
        }
        let have = vector[author]
        if seq <= have {
            if byAuthor[author]![Int(seq - 1)].id == op.id {
                counters.duplicates += 1
                return .duplicate
            }
            counters.equivocations += 1
            return .refused("equivocation: \(author.short) signed two ops with sequence number \(seq)")
        }
        if seq > have + 1 {
            if held[author]?[seq] != nil {
                counters.duplicates += 1
                return .duplicate
            }
            guard seq - have <= limits.maxHeldAhead else {
                counters.heldDropped += 1
                return .refused("sequence number \(seq) is more than \(limits.maxHeldAhead) ahead of \(author.short)'s \(have) held here")
            }
            guard heldCount < limits.maxHeldOps else {
                counters.heldDropped += 1
                return .refused("held-op limit of \(limits.maxHeldOps) reached")
            }
            held[author, default: [:]][seq] = (op, atMs)
            heldCount += 1
            counters.held += 1
            return .held
        }
        guard ordered.count + fresh.count < limits.maxOps else {
            counters.logFull += 1
            return .refused("log limit of \(limits.maxOps) ops reached")
        }
        if let refusal = notRising(op) { return refusal }
        append(op, into: &fresh)
        // The gap may have closed for ops held behind it.
        var next = seq + 1
        while let waiting = held[author]?.removeValue(forKey: next) {
            heldCount -= 1
            guard notRising(waiting.op) == nil else { break }
            counters.releasedFromHold += 1
            append(waiting.op, into: &fresh)
            next += 1
        }
        if held[author]?.isEmpty == true { held[author] = nil }
        return .logged
    }

    /// A refusal when `op` (its author's next) is not dated after its author's previous op.
    private mutating func notRising(_ op: SignedOp) -> Admission? {
        guard let previous = byAuthor[op.author]?.last, op.body.hlc <= previous.body.hlc else { return nil }
        counters.hlcNotRising += 1
        return .refused("\(op.author.short)'s op \(op.body.seq) is dated \(op.body.hlc), not after its op \(previous.body.seq) (\(previous.body.hlc))")
    }

    private mutating func append(_ op: SignedOp, into fresh: inout [SignedOp]) {
        if cuts.record(op) != nil { cutLogged = true }
        if case let .addMember(key, _, _, _, _) = op.body.operation {
            let member = NodeID(publicKey: key)
            if knownAuthors.insert(member).inserted, strangers[member] != nil { newlyKnown.append(member) }
            if firstAdd[member].map({ op.sortKey < $0.key }) ?? true { firstAdd[member] = (op.sortKey, op.author) }
        }
        byAuthor[op.author, default: []].append(op)
        vector[op.author] = op.body.seq
        counters.accepted += 1
        fresh.append(op)
    }

    // MARK: Fold

    private mutating func fold(_ op: SignedOp) -> RuleOutcome {
        TeamRules.apply(op, to: &state, cuts: cuts)
    }

    private mutating func checkpointIfDue() {
        guard ordered.count % limits.checkpointInterval == 0 else { return }
        checkpoints.append((ordered.count, state))
        if checkpoints.count > limits.checkpointsKept { checkpoints.removeFirst() }
    }

    /// Merges `fresh` (sorted) into `ordered`; returns the index of the first fresh op.
    private mutating func insertSorted(_ fresh: [SignedOp]) -> Int {
        let lo = position(of: fresh[0].sortKey)
        var merged: [SignedOp] = []
        merged.reserveCapacity(ordered.count - lo + fresh.count)
        var i = lo, j = 0
        while i < ordered.count || j < fresh.count {
            if j == fresh.count || (i < ordered.count && ordered[i].sortKey < fresh[j].sortKey) {
                merged.append(ordered[i]); i += 1
            } else {
                merged.append(fresh[j]); j += 1
            }
        }
        ordered.replaceSubrange(lo..., with: merged)
        return lo
    }

    /// Refolds from the latest checkpoint at or before `index`.
    private mutating func refold(from index: Int, report: inout Report) {
        while let last = checkpoints.last, last.count > index { checkpoints.removeLast() }
        let start: Int
        if let cp = checkpoints.last {
            state = cp.state
            start = cp.count
        } else {
            state = genesisState
            start = 1
        }
        let freshIDs = Set(report.logged.map(\.id))
        for k in start..<ordered.count {
            let outcome = fold(ordered[k])
            if freshIDs.contains(ordered[k].id) { report.outcomes[ordered[k].id] = outcome }
            if (k + 1) % limits.checkpointInterval == 0 {
                checkpoints.append((k + 1, state))
                if checkpoints.count > limits.checkpointsKept { checkpoints.removeFirst() }
            }
        }
        counters.refolds += 1
        counters.refoldedOps += ordered.count - start
        report.refolded = true
    }

    // MARK: Anti-entropy

    /// The ops this replica has and `other` lacks, per author in sequence order, stopping once
    /// `maxBytes` is reached (at least one op is always returned when any is missing).
    ///
    /// Order: by each op's sort key, but never before the `AddMember` that added its author (an
    /// op dated before its author was added waits for it). So every prefix, one page of a
    /// sync, holds each author's ops in sequence and after the op that made it known: a
    /// receiver logs every page in full and none is refused as a stranger's.
    public func ops(missingFrom other: VersionVector, maxBytes: Int = .max) -> (ops: [SignedOp], complete: Bool) {
        var out: [SignedOp] = []
        var bytes = 0
        var floors: [NodeID: PageKey?] = [:]
        var heads = Heap<PageHead>()
        for gap in vector.ahead(of: other) {
            let floor = addedFloor(gap.author, memo: &floors)
            heads.insert(PageHead(op: byAuthor[gap.author]![Int(gap.from - 1)], through: gap.through, floor: floor))
        }
        while let head = heads.popMin() {
            if !out.isEmpty && bytes + head.op.size > maxBytes { return (out, false) }
            out.append(head.op)
            bytes += head.op.size
            let seq = head.op.body.seq
            if seq < head.through {
                heads.insert(PageHead(op: byAuthor[head.op.author]![Int(seq)], through: head.through, floor: head.floor))
            }
        }
        return (out, true)
    }

    /// A place in a sync's order: an op's sort key, or, for an op dated before the op that
    /// added its author, just after that op (`depth` counts how many adds it was raised past,
    /// so it sorts after the add it waits for even when both are raised to one key).
    struct PageKey: Comparable {
        let key: OpSortKey
        let depth: Int
        static func < (a: PageKey, b: PageKey) -> Bool { (a.key, a.depth) < (b.key, b.depth) }

        /// Where an op sorting at `key` goes when its author's floor is `floor`.
        init(_ key: OpSortKey, floor: PageKey?) {
            if let floor, key <= floor.key { (self.key, depth) = (floor.key, floor.depth + 1) } else { (self.key, depth) = (key, 0) }
        }
    }

    /// The next op of one author's gap, with its place in the sync's order.
    private struct PageHead: Comparable {
        let op: SignedOp
        let through: UInt64
        let floor: PageKey?
        var place: PageKey { PageKey(op.sortKey, floor: floor) }
        static func < (a: PageHead, b: PageHead) -> Bool { (a.place, a.op.sortKey) < (b.place, b.op.sortKey) }
        static func == (a: PageHead, b: PageHead) -> Bool { a.op.id == b.op.id }
    }

    /// The place of the `AddMember` op that first added `author`, itself placed after its own
    /// author's (followed at most 32 adds deep): the author's ops go after it. Nil for the
    /// creator; the team's creating op for an author no add names (a log kept from before
    /// strangers were refused), so a puller new to the team always gets that op first.
    private func addedFloor(_ author: NodeID, memo: inout [NodeID: PageKey?], depth: Int = 0) -> PageKey? {
        if let known = memo[author] { return known }
        guard author != genesis.author else { return nil }
        guard let add = firstAdd[author], depth < 32 else { return PageKey(genesis.sortKey, floor: nil) }
        memo[author] = .some(PageKey(add.key, floor: nil))  // a cycle of adds stops here
        let floor = PageKey(add.key, floor: addedFloor(add.by, memo: &memo, depth: depth + 1))
        memo[author] = .some(floor)
        return floor
    }

    /// The op with `id`, if logged (linear in the log only through the author index).
    public func op(author: NodeID, seq: UInt64) -> SignedOp? {
        guard seq >= 1, let list = byAuthor[author], seq <= UInt64(list.count) else { return nil }
        return list[Int(seq - 1)]
    }
}
