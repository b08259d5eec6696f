import Sodium
import Wire

extension TeamState {
    /// BLAKE2b-256 of a canonical encoding of the whole state: equal on two replicas exactly
    /// when their states are equal. The simulator compares replicas by it.
    public var digest: String {
        var w = DigestWriter()
        w.bytes(id.bytes)
        w.string(name.value)
        w.stamp(name.stamp)
        w.bytes(creator.bytes)
        w.int(UInt64(failsafeSilenceDays))
        for m in memberIDs {
            let r = members[m]!
            w.bytes(m.bytes)
            w.int(UInt64(r.role.value.rawValue))
            w.stamp(r.role.stamp)
            if let p = r.person {
                w.string(p.value.name); w.bytes(p.value.device?.bytes ?? []); w.stamp(p.stamp)
            }
        }
        for id in invites.keys.sorted() {
            let i = invites[id]!
            w.bytes(id.bytes); w.int(UInt64(i.role.rawValue)); w.bytes(i.createdBy.bytes)
            w.int(i.expiresWallMs); w.int(i.revoked ? 1 : 0); w.bytes(i.usedBy?.bytes ?? [])
        }
        for id in promotionRequests.keys.sorted() {
            let r = promotionRequests[id]!
            w.bytes(id.bytes); w.bytes(r.requester.bytes); w.hlc(r.at)
        }
        if let p = promotion { w.bytes(p.acting.bytes); w.bytes(p.approvedBy.bytes); w.hlc(p.since) }
        for node in lastHeard.keys.sorted() { w.bytes(node.bytes); w.hlc(lastHeard[node]!) }
        for id in workflows.keys.sorted() {
            let f = workflows[id]!
            w.bytes(id.bytes); w.string(f.name); w.bytes(f.definedBy.bytes)
            for s in f.stages {
                w.string(s.name); w.int(s.slaSeconds ?? 0)
                for r in s.roles { w.int(UInt64(r.rawValue)) }
            }
        }
        for id in items.keys.sorted() {
            let i = items[id]!
            w.bytes(id.bytes); w.bytes(i.workflow.bytes); w.string(i.title)
            w.int(UInt64(bitPattern: Int64(i.priority.value))); w.stamp(i.priority.stamp)
            w.int(UInt64(i.stage)); w.int(UInt64(i.status.rawValue)); w.bytes(i.assignee?.bytes ?? [])
            w.bytes(i.revision.bytes); w.int(i.stageEnteredWallMs)
            for e in i.history { w.bytes(e.op.bytes); w.string(e.action) }
        }
        for blob in vault.keys.sorted() {
            let e = vault[blob]!
            w.bytes(blob.bytes); w.bytes(e.owner.bytes); w.stamp(e.stamp)
            w.string(e.metadata.name); w.int(e.metadata.size); w.int(UInt64(e.metadata.chunks.count))
        }
        for m in messages {
            w.bytes(m.id.bytes); w.string(m.channel); w.bytes(m.item?.bytes ?? []); w.string(m.text)
            w.int(UInt64(m.mentions.count)); for n in m.mentions { w.bytes(n.bytes) }
            w.int(UInt64(m.attachments.count)); for b in m.attachments { w.bytes(b.bytes) }
        }
        for c in conflicts { w.bytes(c.op.bytes); w.bytes(c.winningOp.bytes) }
        for reason in rejectionCounts.keys.sorted() { w.string(reason.rawValue); w.int(UInt64(rejectionCounts[reason]!)) }
        w.int(UInt64(appliedOps))
        return Hex.encode(w.hasher.finalize())
    }
}

/// Feeds length-delimited fields to a hasher, so no two different field sequences collide.
private struct DigestWriter {
    let hasher = BLAKE2b(outputLength: 32)

    mutating func int(_ v: UInt64) {
        hasher.update(withUnsafeBytes(of: v.bigEndian) { Array($0) })
    }

    mutating func bytes(_ b: [UInt8]) {
        int(UInt64(b.count))
        hasher.update(b)
    }

    mutating func string(_ s: String) { bytes(Array(s.utf8)) }
    mutating func hlc(_ t: HLCTimestamp) { int(t.wallMs); int(UInt64(t.logical)) }
    mutating func stamp(_ s: WriteStamp) { hlc(s.hlc); bytes(s.author.bytes); int(s.seq) }
}
