import Testing
@testable import MeshNode

@Suite struct LinkOutboxTests {
    @Test func aFullOutboxDropsAndBatchesStayWithinTheirBytes() {
        let outbox = LinkOutbox(capacity: 4)
        let pushed = (0..<6).map { outbox.push([UInt8](repeating: UInt8($0), count: 100)) }
        #expect(pushed == [true, true, true, true, false, false], "a slow peer holds at most `capacity` messages")
        #expect(outbox.take(upToBytes: 250).map(\.first) == [0, 1], "as many as fit, oldest first")
        #expect(outbox.take(upToBytes: 50).map(\.first) == [2], "at least one, even when larger than the limit")
        #expect(outbox.push([9]))
        #expect(outbox.take(upToBytes: 1_000).map(\.first) == [3, 9])
        #expect(outbox.take(upToBytes: 1_000).isEmpty)
    }

    @Test func finishingEndsTheWakeUpsAndRefusesNewMessages() async {
        let outbox = LinkOutbox(capacity: 4)
        #expect(outbox.push([1]))
        outbox.finish()
        #expect(!outbox.push([2]))
        var wakeUps = 0
        for await _ in outbox.wakeUps { wakeUps += 1 }
        #expect(wakeUps == 1, "the wake-up for what waited is still delivered, then the stream ends")
        #expect(outbox.take(upToBytes: 100) == [[1]])
    }
}
