/// The bytes waiting to go to one attached client, bounded: `push` refuses a chunk that would
/// take the queue past `limit` (an empty queue takes any one chunk, so a large chunk still
/// goes), and the session then waits for the client to take what is queued (backpressure: the
/// process is read no faster than its slowest attached client takes its output). Pure.
public struct OutboundQueue: Sendable, Equatable {
    public let limit: Int
    private var chunks: [[UInt8]] = []
    public private(set) var count = 0

    /// - Precondition: `limit` > 0.
    public init(limit: Int) {
        precondition(limit > 0, "an outbound queue needs room for at least one byte")
        self.limit = limit
    }

    public var isEmpty: Bool { chunks.isEmpty }

    /// Queues `chunk` if it fits (or the queue is empty); false when the client must catch up first.
    public mutating func push(_ chunk: [UInt8]) -> Bool {
        guard !chunk.isEmpty else { return true }
        guard chunks.isEmpty || count + chunk.count <= limit else { return false }
        chunks.append(chunk)
        count += chunk.count
        return true
    }

    /// Takes everything queued, oldest first, as one buffer.
    public mutating func takeAll() -> [UInt8] {
        defer { chunks = []; count = 0 }
        return chunks.count == 1 ? chunks[0] : Array(chunks.joined())
    }
}
