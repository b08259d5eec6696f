import Foundation
import Logging
import MeshCore
import Replicas
import Wire

extension Node {
    /// Feeds one input to the core and carries out its effects, in order.
    ///
    /// Persist, then send (PROTOCOL.md section 8): `persistOps` must be durable before any later
    /// effect is carried out. When it fails, the core holds ops the disk does not, so nothing
    /// more leaves this node (no broadcast, no sync batch, no probe) until it is restarted: an
    /// op whose store failed is seen by no peer, and the sequence number it took, free again
    /// after the restart, can never name two ops that a peer holds (no equivocation). Writes
    /// are answered `not stored` from then on.
    func handle(_ input: MeshInput) {
        if let failure = storageFailure {
            refuse(input, failure)
            return
        }
        let effects = core.handle(input, at: now, wallMs: Self.wallClockMs(), using: &rng)
        // Forgotten floors that rose are written with the next gossip message of this input
        // (they rise as the seen-cache makes room for it), or after the loop: one transaction.
        var floors: [(origin: NodeID, seq: UInt64)] = []
        for effect in effects {
            if let failure = storageFailure {
                if case let .writeCompleted(request, _) = effect { answerNotStored(request, failure) }
                continue
            }
            switch effect {
            case let .send(message, peer):
                outbound?(message, peer)
            case let .deliver(delivery):
                let now = Self.wallClockMs()
                switch SignedNotice.verify(delivery.payload, origin: delivery.origin, nowMs: now) {
                case let .success(signed):
                    // A copy of a notice already held, re-broadcast under a new sequence number: once is enough.
                    guard !notices.contains(where: { $0.signed?.isSame(signed) == true }) else { continue }
                    remember(Notice(origin: delivery.origin, text: signed.text, hops: delivery.hops, receivedAtMs: now,
                                    sentAtMs: signed.sentAtMs, signed: signed))
                case let .failure(why):
                    noticesRefused += 1
                    logger.notice("notice refused: \(why)", metadata: ["origin": "\(delivery.origin.short)"])
                }
            case let .peerStatus(peer, status):
                logger.notice("peer \(status)", metadata: ["peer": "\(peer.short)"])
                eventContinuation.yield(.peerStatus(peer, status))
            case let .persist(.forgottenFloor(origin, seq)):
                floors.append((origin, seq))
            case let .persist(.message(frame)):
                persist(frame, floors: floors)
                floors.removeAll()
            case let .persist(record):
                persist(record)
            case let .persistOps(team, ops):
                do {
                    try database.appendOps(ops, team: team)
                    saveSnapshot(team, force: false)
                } catch {
                    storageFailure = "\(error)"
                    logger.critical("cannot store ops: \(error); this node sends nothing more until it is restarted",
                                    metadata: ["team": "\(team.short)"])
                }
            case let .replicaChanged(change):
                eventContinuation.yield(.replicaChanged(change))
            case let .serveChunks(team, ids, peer):
                for id in ids {
                    let data = (try? chunkStore.get(team: team.description, id: id.description)) ?? nil
                    outbound?(.chunkData(team: team.bytes, id: id.bytes, data: data), peer)
                }
            case let .storeChunk(team, id, data):
                do { try chunkStore.put(team: team.description, id: id.description, data: data) } catch {
                    logger.error("cannot store a vault chunk fetched from a peer: \(error)", metadata: ["team": "\(team.short)"])
                }
            case let .writeCompleted(request, outcome):
                waitingWrites.removeValue(forKey: request)?.resume(returning: outcome)
            case let .dropped(reason, from):
                logger.debug("dropped input", metadata: ["reason": "\(reason)", "from": "\(from?.short ?? "self")"])
            case let .limitReached(limit):
                limitsHit[limit, default: 0] += 1
                if limitsLogged.insert(limit).inserted {
                    logger.warning("limit reached (logged once; counted from now on)", metadata: ["limit": "\(limit)"])
                }
            }
        }
        if !floors.isEmpty && storageFailure == nil {
            do {
                try database.storeForgottenFloors(floors, nowMs: Self.wallClockMs(), keepMs: floorKeepMs)
            } catch {
                logger.error("cannot persist \(floors.count) forgotten floor(s): \(error)")
            }
        }
        if storageFailure != nil {
            timerTask?.cancel()
            timerTask = nil
            timerDeadline = nil
            return
        }
        for (team, blobs) in NodeCore.blobsToFetch(after: effects) { fetchMissingChunks(team, blobs: blobs) }
        scheduleTimer()
    }

    /// Asks the core to fetch the chunks that `blobs` of `team` (with the node that put each;
    /// every blob in the vault index when nil) name and the chunk store lacks: one lookup in
    /// the store, then one request per blob.
    func fetchMissingChunks(_ team: TeamID, blobs: [(BlobID, NodeID)]?) {
        let named = core.vaultChunks(team: team, blobs: blobs)
        guard !named.isEmpty else { return }
        let missing: Set<String>
        do {
            missing = Set(try chunkStore.missing(team: team.description, ids: named.flatMap(\.chunks).map(\.description)))
        } catch {
            logger.error("cannot look up vault chunks: \(error)", metadata: ["team": "\(team.short)"])
            return
        }
        for (chunks, holder) in named {
            let wanted = chunks.filter { missing.contains($0.description) }
            if !wanted.isEmpty { handle(.chunksNeeded(team: team, ids: wanted, holder: holder)) }
        }
    }

    /// After a failed store: a write is answered `not stored`, anything else is dropped.
    private func refuse(_ input: MeshInput, _ failure: String) {
        switch input {
        case let .write(_, _, _, request, _, _), let .createTeam(_, _, _, request):
            answerNotStored(request, failure)
        default:
            break
        }
    }

    private func answerNotStored(_ request: UInt64, _ failure: String) {
        waitingWrites.removeValue(forKey: request)?
            .resume(returning: .refused(.invalid, "not stored: \(failure); the node sends nothing more until it is restarted"))
    }

    func remember(_ notice: Notice) {
        notices.append(notice)
        if notices.count > Self.noticeLimit { notices.removeFirst() }
        eventContinuation.yield(.notice(notice))
    }

    private func persist(_ record: PersistRecord) {
        do {
            switch record {
            case let .incarnation(n): try database.setMeta("incarnation", "\(n)")
            case let .nextBroadcastSeq(n): try database.setMeta("next_broadcast_seq", "\(n)")
            case let .message(frame):
                persist(frame, floors: [])
            case let .forgottenFloor(origin, seq):
                try database.storeForgottenFloors([(origin, seq)], nowMs: Self.wallClockMs(), keepMs: floorKeepMs)
            }
        } catch {
            logger.error("cannot persist \(record): \(error)")
        }
    }

    /// A delivered message, with the forgotten floors that rose before it (one transaction).
    private func persist(_ frame: GossipFrame, floors: [(origin: NodeID, seq: UInt64)]) {
        do {
            try database.storeGossipMessage(frame, floors: floors, nowMs: Self.wallClockMs(),
                                            keepMs: UInt64(configuration.gossip.seenMaxAge.nanoseconds / 1_000_000),
                                            floorKeepMs: floorKeepMs)
        } catch {
            logger.error("cannot persist a gossip message: \(error)")
        }
    }

    /// Stored forgotten floors are kept as long as the router keeps them after a rise.
    private var floorKeepMs: UInt64 { UInt64(max(0, configuration.gossip.forgottenFloorLifetime.nanoseconds / 1_000_000)) }

    /// Stores a team's materialized document when 100 ops or 10 s have passed since the last
    /// time (or when `force`d at shutdown): the op log is the truth, the document its picture.
    func saveSnapshot(_ team: TeamID, force: Bool) {
        guard let replica = core.replication.replica(team) else { return }
        let last = snapshotState[team]
        guard force || last == nil || replica.opCount - last!.opsAtSave >= 100 || now - last!.savedAt >= .seconds(10) else { return }
        do {
            try database.saveSnapshot(replica.state, opCount: replica.opCount, nowMs: Self.wallClockMs())
            snapshotState[team] = (replica.opCount, now)
        } catch {
            logger.error("cannot store the document of team \(team.short): \(error)")
        }
    }

    /// Keeps one timer task, sleeping until the core's next deadline.
    func scheduleTimer() {
        guard let deadline = core.nextDeadline else {
            timerTask?.cancel()
            timerTask = nil
            timerDeadline = nil
            return
        }
        if let current = timerDeadline, current <= deadline, timerTask != nil { return }
        timerTask?.cancel()
        timerDeadline = deadline
        let wait = max(0, deadline.nanoseconds - now.nanoseconds)
        timerTask = Task { [weak self] in
            try? await Task.sleep(for: .nanoseconds(wait))
            guard !Task.isCancelled else { return }
            await self?.fireTimer()
        }
    }

    private func fireTimer() {
        timerTask = nil
        timerDeadline = nil
        handle(.timer)
    }
}
