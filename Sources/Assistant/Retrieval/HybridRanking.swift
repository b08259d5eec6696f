/// Merges the vector search's and the keyword search's rankings by reciprocal rank fusion: a chunk
/// scores Σ 1/(k + rank) over the lists it is in (rank from 1), k = 60 as in Cormack, Clarke and
/// Büttcher (SIGIR 2009), who introduced it.
///
/// Why fusion of ranks and not of scores: cosine similarities and bm25 values live on scales that
/// cannot be compared, and ranks need no tuning. Ties are broken by the better vector rank, then by
/// the smaller chunk id, so the order is the same every time.
public enum HybridRanking {
    public static let k = 60.0

    public struct Ranked: Sendable, Equatable {
        public let id: Int64
        public let score: Double
        /// 1-based places in each list, nil when absent from it.
        public let vectorRank: Int?
        public let keywordRank: Int?
    }

    public static func fuse(vector: [Int64], keyword: [Int64]) -> [Ranked] {
        var vectorRank: [Int64: Int] = [:], keywordRank: [Int64: Int] = [:]
        for (i, id) in vector.enumerated() where vectorRank[id] == nil { vectorRank[id] = i + 1 }
        for (i, id) in keyword.enumerated() where keywordRank[id] == nil { keywordRank[id] = i + 1 }
        var ids = vector
        for id in keyword where vectorRank[id] == nil { ids.append(id) }
        var seen = Set<Int64>()
        ids = ids.filter { seen.insert($0).inserted }
        let ranked = ids.map { id -> Ranked in
            let v = vectorRank[id], w = keywordRank[id]
            let score = (v.map { 1 / (k + Double($0)) } ?? 0) + (w.map { 1 / (k + Double($0)) } ?? 0)
            return Ranked(id: id, score: score, vectorRank: v, keywordRank: w)
        }
        return ranked.sorted { a, b in
            if a.score != b.score { return a.score > b.score }
            let av = a.vectorRank ?? Int.max, bv = b.vectorRank ?? Int.max
            if av != bv { return av < bv }
            return a.id < b.id
        }
    }
}
