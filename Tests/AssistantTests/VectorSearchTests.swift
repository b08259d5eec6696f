@testable import Assistant
import Foundation
import Testing

@Suite struct VectorSearchTests {
    /// A seeded generator (SplitMix64), so a failure replays.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
    }

    static func unit(_ d: Int, _ rng: inout Seeded) -> [Float] {
        var v = (0..<d).map { _ in Float.random(in: -1...1, using: &rng) }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in v.indices { v[i] /= n }
        return v
    }

    static func bruteForce(_ vectors: [Int64: [Float]], _ q: [Float], k: Int) -> [Int64] {
        var scored: [(key: Int64, score: Float)] = []
        for (key, v) in vectors {
            var dot: Float = 0
            for i in v.indices { dot += v[i] * q[i] }
            scored.append((key, dot))
        }
        scored.sort { a, b in a.score != b.score ? a.score > b.score : a.key < b.key }
        return scored.prefix(k).map(\.key)
    }

    @Test(arguments: [1, 7, 42])
    func exactSearchEqualsBruteForceThroughInsertsAndRemovals(seed: UInt64) {
        var rng = Seeded(state: seed)
        var index = ExactVectorIndex(dimensions: 16)
        var truth: [Int64: [Float]] = [:]
        for key in Int64(0)..<600 {
            let v = Self.unit(16, &rng)
            index.insert(key: key, vector: v)
            truth[key] = v
        }
        for key in stride(from: Int64(0), to: 600, by: 3) { index.remove(key: key); truth[key] = nil }
        let replaced = Self.unit(16, &rng)
        index.insert(key: 1, vector: replaced)
        truth[1] = replaced
        #expect(index.count == truth.count)
        for _ in 0..<20 {
            let q = Self.unit(16, &rng)
            let hits = index.search(q, k: 10)
            #expect(hits.map(\.key) == Self.bruteForce(truth, q, k: 10))
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
        // Searching for a stored vector finds it first, with similarity 1.
        let first = index.search(replaced, k: 1)[0]
        #expect(first.key == 1 && abs(first.score - 1) < 1e-5)
    }

    @Test func theFilterKeepsOthersOutAndTiesAreOrderedByKey() {
        var index = ExactVectorIndex(dimensions: 2)
        for key in Int64(0)..<10 { index.insert(key: key, vector: [1, 0]) }
        #expect(index.search([1, 0], k: 3).map(\.key) == [0, 1, 2])
        #expect(index.search([1, 0], k: 3) { $0 % 2 == 1 }.map(\.key) == [1, 3, 5])
        #expect(index.search([1, 0], k: 0).isEmpty)
        #expect(ExactVectorIndex(dimensions: 2).search([1, 0], k: 3).isEmpty)
    }

    @Test func fusionRanksChunksInBothListsFirstAndIsDeterministic() {
        let fused = HybridRanking.fuse(vector: [10, 20, 30], keyword: [30, 40, 10])
        #expect(fused.map(\.id) == [10, 30, 20, 40])
        #expect(fused[0].vectorRank == 1 && fused[0].keywordRank == 3)
        #expect(fused[3].vectorRank == nil && fused[3].keywordRank == 2)
        // Same scores: the better vector rank first, then the smaller id.
        #expect(HybridRanking.fuse(vector: [5], keyword: [6]).map(\.id) == [5, 6])
        #expect(HybridRanking.fuse(vector: [], keyword: [9, 8]).map(\.id) == [9, 8])
    }

    @Test func keywordQueriesCannotBeFTS5Syntax() {
        #expect(KeywordQuery.match(for: "Where is bin C-14?") == "\"where\" OR \"is\" OR \"bin\" OR \"c\" OR \"14\"")
        #expect(KeywordQuery.match(for: "NEAR(a b) AND * OR \"x\" text:y ^z") == "\"near\" OR \"a\" OR \"b\" OR \"and\" OR \"or\" OR \"x\" OR \"text\" OR \"y\" OR \"z\"")
        #expect(KeywordQuery.match(for: "Zürich zürich") == "\"zürich\"")
        #expect(KeywordQuery.match(for: "?!* ---") == nil)
        let many = (0..<100).map { "w\($0)" }.joined(separator: " ")
        #expect(KeywordQuery.match(for: many)!.components(separatedBy: " OR ").count == KeywordQuery.maxTerms)
    }
}
