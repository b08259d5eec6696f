/// Which terminal transcripts have outlived their retention: the decision, without the folder.
/// A transcript is kept while its last write is younger than `retentionMs`; a session still
/// running is never judged (its file is still being written). Output is sorted by name.
public struct TranscriptRetention: Sendable, Equatable {
    public let retentionMs: UInt64

    public init(days: Int) { retentionMs = UInt64(max(days, 0)) * 86_400_000 }

    public struct File: Sendable, Equatable {
        public let name: String
        public let modifiedMs: UInt64
        public init(name: String, modifiedMs: UInt64) { self.name = name; self.modifiedMs = modifiedMs }
    }

    /// The files to delete at `nowMs`, leaving those of the sessions in `running`.
    public func expired(_ files: [File], running: Set<String>, nowMs: UInt64) -> [String] {
        files.filter { !running.contains($0.name) && nowMs >= $0.modifiedMs && nowMs - $0.modifiedMs > retentionMs }
            .map(\.name).sorted()
    }
}
