import Wire

/// Repair: what pushing missed reaches every node through announcements (IHAVE), digests and
/// requests (WANT).
///
/// - Tree mode announces each new message to the neighbours off the tree (batched every
///   `lazyFlushInterval`). A node that hears of a message it lacks waits `announcementWait` for
///   the push to arrive, then asks the announcer whose copy travelled the fewest hops, then the
///   next, each after another wait.
/// - Both modes run anti-entropy: every `repairInterval` one random neighbour gets a digest of
///   the recent messages; it asks for what it lacks and announces what the digest lacked
///   (push-pull). A link that comes up, or a peer that comes back, gets a digest at once, even
///   an empty one, which asks for everything recent.
/// - Digests offer the messages `repairedElsewhere` names (ops) only while they are younger
///   than `handOverAge`: a copy lost on one link comes back within a second or two, but the
///   gaps of a partition or a restart are left to replication's anti-entropy (exact
///   differences, compressed, passed on by vectors, never flooded again). When both layers
///   repaired them, every heal carried the same ops twice and the router's copies were flooded
///   on to every neighbour: 2.3-3.7 times the bytes that were missing (Simulations/README.md).
extension GossipRouter {
    mutating func receiveAnnouncements(_ entries: [Announcement], from peer: NodeID, at now: Instant,
                                       effects: inout [MeshEffect]) {
        var requestNow: [MessageID] = []
        for entry in entries.prefix(configuration.digestMaxIDs) {
            if seen.contains(entry.id) {
                addHolder(peer, of: entry.id, hops: entry.hops)
                if wantsBetterCopy(entry) {
                    counters.reachPulls += 1
                    requestNow.append(entry.id)
                }
            } else if addMissing(entry.id, announcer: peer, hops: entry.hops, at: now, effects: &effects),
                      configuration.mode == .flood {
                // Flood mode announces only in answer to a digest: the message is not in
                // flight, so ask at once.
                requestNow.append(entry.id)
                missing[entry.id]!.asked.append(peer)
            }
        }
        if !requestNow.isEmpty {
            counters.wantsSent += 1
            effects.append(.send(.want(requestNow), to: peer))
        }
        checkParentLink(announcedBy: peer, entries: entries, effects: &effects)
    }

    mutating func receiveDigest(_ entries: [Announcement], from peer: NodeID, at now: Instant,
                                effects: inout [MeshEffect]) {
        var theirs = Set<MessageID>()
        var wanted: [MessageID] = []
        for entry in entries.prefix(configuration.digestMaxIDs) {
            theirs.insert(entry.id)
            if seen.contains(entry.id) {
                addHolder(peer, of: entry.id, hops: entry.hops)
                if wantsBetterCopy(entry) {
                    counters.reachPulls += 1
                    wanted.append(entry.id)
                }
            } else if addMissing(entry.id, announcer: peer, hops: entry.hops, at: now, effects: &effects),
                      configuration.mode == .flood {
                // Flood mode asks at once. Tree mode waits like for any announcement: the
                // message may be on its way down the tree, which is the shorter path.
                wanted.append(entry.id)
                missing[entry.id]!.asked.append(peer)
            }
        }
        if !wanted.isEmpty {
            counters.wantsSent += 1
            effects.append(.send(.want(wanted), to: peer))
        }
        let ours = recentAnnouncements(at: now).filter { !theirs.contains($0.id) }
        if !ours.isEmpty {
            counters.iHaveMessagesSent += 1
            counters.announcementsSent += ours.count
            effects.append(.send(.iHave(ours), to: peer))
        }
    }

    /// Whether to ask for a message already seen, because `entry` shows the peer holds a better
    /// copy: this node's copy came too far to go on (no TTL left, so it was not kept), and the
    /// peer's, from nearer the origin, would go on from here. Pulled, it is pushed on as a reach
    /// extension (`extendReach`), so the nodes behind this one are not cut off when the better
    /// copy pushed here was lost. Forgotten refusals (hops 0) are never pulled.
    func wantsBetterCopy(_ entry: Announcement) -> Bool {
        guard let ours = seen[entry.id], ours.hops > 0, !store.contains(entry.id) else { return false }
        return entry.hops + 1 < ours.hops && entry.hops + 1 < configuration.ttl
    }

    /// Sends the stored copies of `ids` to `peer`. IDs not (or no longer) stored are counted.
    mutating func serve(_ ids: [MessageID], to peer: NodeID, effects: inout [MeshEffect]) {
        guard neighbours.contains(peer) else { return }
        for id in ids.prefix(configuration.digestMaxIDs) {
            guard let stored = store[id] else {
                counters.requestsUnanswerable += 1
                continue
            }
            counters.payloadCopiesSent += 1
            counters.repairCopiesSent += 1
            effects.append(.send(.gossip(stored.onward), to: peer))
            addHolder(peer, of: id, hops: stored.onward.hops + 1)
        }
    }

    mutating func flushAnnouncements(effects: inout [MeshEffect]) {
        lazyDue = nil
        for i in neighbours.indices where !neighbours.values[i].pending.isEmpty {
            let peer = neighbours.ids[i]
            let entries = neighbours.values[i].pending.filter { a in
                store[a.id].map { !$0.holders.contains { $0.peer == peer } } ?? false
            }
            pendingTotal -= neighbours.values[i].pending.count
            neighbours.values[i].pending.removeAll(keepingCapacity: true)
            guard neighbours.values[i].reachable else { continue }
            var start = 0
            while start < entries.count {
                let chunk = Array(entries[start..<min(start + configuration.digestMaxIDs, entries.count)])
                counters.iHaveMessagesSent += 1
                counters.announcementsSent += chunk.count
                effects.append(.send(.iHave(chunk), to: peer))
                start += chunk.count
            }
        }
    }

    /// Asks, for each missing message that fell due, the announcer with the fewest hops not yet
    /// asked. Requests to one peer go out as one WANT.
    mutating func requestMissing(at now: Instant, effects: inout [MeshEffect]) {
        var batches: [NodeID: [MessageID]] = [:]
        while let first = missingQueue.first, first.deadline <= now {
            missingQueue.removeFirst()
            guard var m = missing[first.id], m.deadline == first.deadline else { continue }
            let candidates = m.announcers.filter { a in
                !m.asked.contains(a.peer) && neighbours[a.peer]?.reachable == true
            }
            // Tree mode asks the parent first: most broadcasts reach a node through its parent,
            // so its copy took the tree's path, where an announcer's may have taken a detour.
            let parent = configuration.mode == .tree ? tree.parent.flatMap { p in
                !m.asked.contains(p) && neighbours[p]?.reachable == true ? p : nil
            } : nil
            guard let target = parent ?? candidates.min(by: { $0.hops < $1.hops })?.peer else {
                missing.removeValue(forKey: first.id)
                continue
            }
            m.asked.append(target)
            m.deadline = now + configuration.announcementWait
            missing[first.id] = m
            missingQueue.append((m.deadline, first.id))
            batches[target, default: []].append(first.id)
        }
        for peer in batches.keys.sorted() {
            counters.wantsSent += 1
            effects.append(.send(.want(batches[peer]!), to: peer))
        }
    }

    /// A digest of recent messages. On link-up it is sent even when empty: an empty digest asks
    /// the peer for everything recent (push-pull), which is how a restarted node catches up.
    mutating func sendDigest(to peer: NodeID, evenIfEmpty: Bool, at now: Instant, effects: inout [MeshEffect]) {
        let entries = recentAnnouncements(at: now)
        guard evenIfEmpty || !entries.isEmpty else { return }
        counters.digestsSent += 1
        effects.append(.send(.digest(entries), to: peer))
    }

    /// The newest stored messages (those that may still travel), bounded by `digestMaxIDs`;
    /// those `repairedElsewhere` names only while younger than `handOverAge`.
    func recentAnnouncements(at now: Instant) -> [Announcement] {
        let handOver = now - configuration.handOverAge
        return store.newestFirst(limit: configuration.digestMaxIDs,
                                 where: { stored, at in at > handOver || !repairedElsewhere(stored.onward.payload) })
            .map { Announcement(id: $0.key, hops: $0.value.onward.hops) }
    }

    /// Records that `announcer` has `id`. Returns true when the message was not known missing before.
    mutating func addMissing(_ id: MessageID, announcer: NodeID, hops: UInt32, at now: Instant,
                             effects: inout [MeshEffect]) -> Bool {
        if var m = missing[id] {
            if !m.announcers.contains(where: { $0.peer == announcer }) && m.announcers.count < configuration.maxNeighbours {
                m.announcers.append(Holder(peer: announcer, hops: hops))
                missing[id] = m
            }
            return false
        }
        guard missing.count < configuration.missingCapacity else {
            counters.limitHits += 1
            effects.append(.limitReached(.missingMessages))
            return false
        }
        let deadline = now + configuration.announcementWait
        missing[id] = Missing(announcers: [Holder(peer: announcer, hops: hops)], deadline: deadline)
        missingQueue.append((deadline, id))
        return true
    }
}
