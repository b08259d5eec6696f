import Testing
import Wire
@testable import Replicas

/// Commutative, associative, idempotent: the three laws of a state-based CRDT's merge,
/// checked over seeded random states (a failing seed replays). `history` plays one random
/// history on three replicas (updates with unique tags, and merges between replicas) and
/// returns their states: states of one system, as merges meet them in practice.
func checkLaws<T: Mergeable>(seeds: ClosedRange<UInt64> = 1...200, _ history: (inout TestRNG) -> [T]) {
    for seed in seeds {
        var rng = TestRNG(seed)
        let states = history(&rng)
        let (a, b, c) = (states[0], states[1], states[2])
        #expect(a.merged(with: b) == b.merged(with: a), "commutative, seed \(seed)")
        #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)), "associative, seed \(seed)")
        #expect(a.merged(with: a) == a, "idempotent, seed \(seed)")
    }
}

/// Plays `steps` random steps on three replicas: each step either updates one replica (the
/// update gets the next unique tag) or merges one into another.
func play<T: Mergeable>(_ rng: inout TestRNG, initial: T, steps: ClosedRange<Int> = 0...12,
                        update: (inout T, Int, OpID, inout TestRNG) -> Void) -> [T] {
    var replicas = [initial, initial, initial]
    var next = 0
    for _ in 0..<Int.random(in: steps, using: &rng) {
        let i = Int.random(in: 0..<3, using: &rng)
        if Int.random(in: 0...2, using: &rng) > 0 {
            next += 1
            update(&replicas[i], i, OpID(bytes: withUnsafeBytes(of: UInt64(next).bigEndian) { Array($0) } + [UInt8](repeating: 0, count: 24))!, &rng)
        } else {
            replicas[i] = replicas[i].merged(with: replicas[Int.random(in: 0..<3, using: &rng)])
        }
    }
    return replicas
}

let authors = (1...4).map { NodeID(bytes: [UInt8](repeating: $0, count: 20))! }
let tags = (1...12).map { OpID(bytes: [UInt8](repeating: $0, count: 32))! }

/// A write stamp unique to replica `i`'s update with `tag` (as an op's author and sequence are).
func stamp(_ i: Int, _ tag: OpID, _ rng: inout TestRNG) -> WriteStamp {
    OpSortKey(hlc: HLCTimestamp(wallMs: UInt64.random(in: 0...5, using: &rng), logical: 0), author: authors[i],
              seq: UInt64(tag.bytes[7]))
}

@Suite struct CRDTLawTests {
    @Test func lwwRegister() {
        checkLaws { rng in
            play(&rng, initial: LWWRegister(0, stamp: OpSortKey(hlc: .zero, author: authors[0], seq: 0))) { r, i, tag, rng in
                r.assign(Int(tag.bytes[7]), stamp: stamp(i, tag, &rng))
            }
        }
    }

    @Test func lwwRegisterKeepsTheNewestWrite() {
        var r = LWWRegister("a", stamp: OpSortKey(hlc: HLCTimestamp(wallMs: 5, logical: 0), author: authors[0], seq: 1))
        r.assign("old", stamp: OpSortKey(hlc: HLCTimestamp(wallMs: 4, logical: 9), author: authors[3], seq: 9))
        #expect(r.value == "a")
        r.assign("tie, higher author", stamp: OpSortKey(hlc: HLCTimestamp(wallMs: 5, logical: 0), author: authors[1], seq: 1))
        #expect(r.value == "tie, higher author")
    }

    @Test func orSet() {
        checkLaws { rng in
            play(&rng, initial: ORSet<Int>()) { set, _, tag, rng in
                let e = Int.random(in: 0...3, using: &rng)
                if Bool.random(using: &rng) { set.insert(e, tag: tag) } else { set.remove(e) }
            }
        }
    }

    @Test func orSetAddWinsOverAConcurrentRemove() {
        var a = ORSet<String>()
        a.insert("x", tag: tags[0])
        var b = a
        b.remove("x")
        a.insert("x", tag: tags[1])
        #expect(a.merged(with: b).contains("x"), "the add b never saw survives")
        var c = a
        c.remove("x")
        #expect(!a.merged(with: c).contains("x"), "a remove of everything observed wins")
    }

    @Test func orMap() {
        checkLaws { rng in
            play(&rng, initial: ORMap<Int, LWWRegister<Int>>()) { map, i, tag, rng in
                let k = Int.random(in: 0...3, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: map.put(k, LWWRegister(Int(tag.bytes[7]), stamp: stamp(i, tag, &rng)), tag: tag)
                case 1: map.remove(k)
                default: map.update(k) { $0.assign(Int(tag.bytes[7]), stamp: stamp(i, tag, &rng)) }
                }
            }
        }
    }

    @Test func mvRegister() {
        checkLaws { rng in
            play(&rng, initial: MVRegister<Int>()) { r, i, tag, _ in r.assign(Int(tag.bytes[7]), by: authors[i]) }
        }
    }

    @Test func mvRegisterKeepsConcurrentWritesAndResolvesLaterOnes() {
        var a = MVRegister<String>(), b = MVRegister<String>()
        a.assign("north", by: authors[0])
        b.assign("south", by: authors[1])
        var both = a.merged(with: b)
        #expect(both.values.count == 2, "concurrent writes are both kept: \(both.values)")
        both.assign("east", by: authors[2])
        #expect(both.values == ["east"])
        #expect(both.merged(with: a).values == ["east"], "a write that saw both replaces both")
    }
}
