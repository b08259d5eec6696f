/// A min-heap of timed events. Ties break by insertion order, so the order events are
/// handled in depends only on what was scheduled, never on memory layout or hashing.
///
/// The heap holds plain integers (time, sequence, slot); events live in a slab of reusable
/// slots, so sifting never copies an event's payload.
struct EventQueue<Event> {
    private struct Key {
        var time: Int64
        var seq: UInt64
        var slot: Int32
    }

    private var heap: [Key] = []
    private var slab: [Event?] = []
    private var free: [Int32] = []
    private var nextSeq: UInt64 = 0
    private(set) var peak = 0

    var count: Int { heap.count }

    mutating func push(_ event: Event, at time: Int64) {
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            slab[Int(slot)] = event
        } else {
            slot = Int32(slab.count)
            slab.append(event)
        }
        heap.append(Key(time: time, seq: nextSeq, slot: slot))
        nextSeq += 1
        peak = max(peak, heap.count)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (time: Int64, event: Event)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && less(heap[l], heap[smallest]) { smallest = l }
                if r < heap.count && less(heap[r], heap[smallest]) { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        let event = slab[Int(top.slot)].take()!
        free.append(top.slot)
        return (top.time, event)
    }

    var nextTime: Int64? { heap.first?.time }

    private func less(_ a: Key, _ b: Key) -> Bool {
        a.time < b.time || (a.time == b.time && a.seq < b.seq)
    }
}
