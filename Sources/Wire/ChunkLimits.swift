/// Limits of vault chunk sync (PROTOCOL.md section 12), kept by both ends of a link.
public enum ChunkLimits {
    /// IDs in one `chunkWant`: its answers (one `chunkData` each) fit a link's outbound queue
    /// many times over.
    public static let idsPerWant = 8
    /// Plaintext bytes in one vault chunk, 512 KiB (the replica's `VaultLimits.maxChunkBytes`).
    public static let chunkSize = 1 << 19
    /// The largest sealed chunk: a chunk zstd cannot shrink grows by zstd's frame bound, plus
    /// nonce and tag. Fits one link message (1 MiB).
    public static let maxSealedChunk = chunkSize + chunkSize / 128 + 1_024
}
