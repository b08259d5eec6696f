import Wire

/// Rules for the vault index (PROTOCOL.md section 7.3): Members put, owners and Admins delete.
enum VaultRules {
    static func apply(_ op: SignedOp, role: Role, to state: inout TeamState) -> TeamRules.Outcome {
        switch op.body.operation {
        case let .putBlob(meta):
            guard meta.chunkSize >= 1, meta.chunkSize <= VaultLimits.maxChunkBytes else {
                return .rejected(.invalid, "chunk size must be 1...\(VaultLimits.maxChunkBytes) bytes")
            }
            guard meta.size <= VaultLimits.maxBlobBytes else { return .rejected(.invalid, "blob larger than the limit") }
            let expected = (meta.size + UInt64(meta.chunkSize) - 1) / UInt64(meta.chunkSize)
            guard UInt64(meta.chunks.count) == expected else {
                return .rejected(.invalid, "\(meta.chunks.count) chunks for \(meta.size) bytes in chunks of \(meta.chunkSize)")
            }
            state.vault.put(meta.blob, VaultEntry(metadata: meta, owner: op.author, stamp: op.sortKey), tag: op.id)
            return .applied
        case let .deleteBlob(blob):
            guard let entry = state.vault[blob] else { return .rejected(.unknownTarget, "no blob \(blob.short)") }
            guard entry.owner == op.author || role >= .admin else {
                return .rejected(.forbidden, "only its owner or an Admin deletes a blob")
            }
            state.vault.remove(blob)
            return .applied
        default:
            return .rejected(.invalid, "not a vault op")
        }
    }
}
