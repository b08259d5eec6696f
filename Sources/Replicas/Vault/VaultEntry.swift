import Wire

/// A blob in the vault index: ciphertext metadata only. The first put of a blob owns it; a
/// second put of the same content is the same blob.
public struct VaultEntry: Mergeable {
    public var metadata: BlobMetadata
    public var owner: NodeID
    public var stamp: WriteStamp

    public func merged(with other: VaultEntry) -> VaultEntry {
        other.stamp < stamp ? other : self
    }
}

/// Limits on what the vault index accepts (PROTOCOL.md section 7.4).
public enum VaultLimits {
    /// Largest chunk, in bytes (512 KiB): a sealed chunk travels in one link message (limit 1 MiB).
    public static let maxChunkBytes = UInt32(ChunkLimits.chunkSize)
    /// Largest blob, in bytes (64 GiB).
    public static let maxBlobBytes: UInt64 = 64 << 30
}
