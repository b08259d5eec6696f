import Replicas
import Wire

/// What a shell asks of the core to keep its chunk store in step with the vault index: which
/// blobs a batch of effects put, and which chunks those blobs name. The shell alone knows what
/// its store holds; it feeds what is missing back as `MeshInput.chunksNeeded`.
extension NodeCore {
    /// Per team, in the order first seen, the blobs whose chunks to look for after `effects`:
    /// the blobs put, each with the node that put it; or nil, the whole index, when a change
    /// refolded the log (a blob refused before may stand now).
    public static func blobsToFetch(after effects: [MeshEffect]) -> [(team: TeamID, blobs: [(BlobID, NodeID)]?)] {
        var out: [(team: TeamID, blobs: [(BlobID, NodeID)]?)] = []
        for case let .replicaChanged(change) in effects {
            let put = change.ops.compactMap { op -> (BlobID, NodeID)? in
                if case let .putBlob(meta) = op.body.operation { (meta.blob, op.author) } else { nil }
            }
            guard change.refolded || !put.isEmpty else { continue }
            if let i = out.firstIndex(where: { $0.team == change.team }) {
                if change.refolded { out[i].blobs = nil } else { out[i].blobs? += put }
            } else {
                out.append((change.team, change.refolded ? nil : put))
            }
        }
        return out
    }

    /// The chunks each of `blobs` of `team` names, with the node that put it (every blob of
    /// the vault index, with its owner, when nil). Blobs no longer in the index (deleted, or
    /// refused by the rules) and blobs without chunks are left out.
    public func vaultChunks(team: TeamID, blobs: [(BlobID, NodeID)]?) -> [(chunks: [OpID], holder: NodeID)] {
        guard let vault = replication.replica(team)?.state.vault else { return [] }
        let listed = blobs ?? vault.keys.sorted().compactMap { id in vault[id].map { (id, $0.owner) } }
        return listed.compactMap { blob, holder in
            guard let chunks = vault[blob]?.metadata.chunks, !chunks.isEmpty else { return nil }
            return (chunks, holder)
        }
    }

    /// Every chunk the vault index of `team` names (a deleted or refused blob names none).
    public func namedChunks(team: TeamID) -> Set<OpID> {
        guard let vault = replication.replica(team)?.state.vault else { return [] }
        return Set(vault.keys.flatMap { vault[$0]?.metadata.chunks ?? [] })
    }

    /// After a batch of effects deleted a blob (or refolded a team's log), chunk sync stops
    /// fetching the chunks of that team its vault index no longer names.
    mutating func forgetUnnamedChunks(after effects: [MeshEffect]) {
        var teams: [TeamID] = []
        for case let .replicaChanged(change) in effects where change.refolded || change.ops.contains(where: \.deletesBlob) {
            if !teams.contains(change.team) { teams.append(change.team) }
        }
        for team in teams {
            chunks.forget(team: team, keeping: namedChunks(team: team))
        }
    }
}

extension SignedOp {
    var deletesBlob: Bool {
        if case .deleteBlob = body.operation { true } else { false }
    }
}
