import COpenBLAS
import Foundation

/// An approximate nearest-neighbour index: a hierarchical navigable small world graph (Malkov &
/// Yashunin, "Efficient and robust approximate nearest neighbor search using Hierarchical Navigable
/// Small World graphs", 2016/2018), for when a collection outgrows what `ExactVectorIndex` searches fast.
///
/// Rules it keeps:
/// - Vectors are unit length (as the embedding backends promise), so the inner product is the
///   cosine similarity and higher is nearer — the same scores `ExactVectorIndex` gives.
/// - Each node lives on layer 0 and, with probability falling by 1/M a layer, on the layers above;
///   it keeps at most `m` neighbours on the upper layers and `2·m` on layer 0, chosen by the paper's
///   heuristic (a candidate is kept only when it is nearer the node than to any neighbour already kept,
///   which keeps links pointing in different directions and the graph navigable).
/// - Deterministic: levels come from the `SeededGenerator` given at `init`, and nothing depends on the
///   iteration order of a `Set` or `Dictionary`; the same seed and the same inserts in the same order
///   give the same graph and the same results.
/// - `remove` only marks the node deleted: it stays in the graph as a stepping stone (taking it out
///   would need its neighbours relinked) and is never returned. Its memory is kept until the index is
///   rebuilt. Inserting a key again marks the old node deleted and adds a new one.
/// - Results are sorted by score, ties by the smaller key, as `ExactVectorIndex` sorts them. They are
///   approximate: a true neighbour may be missed (the recall is measured by scripts/measure-vector-search.sh
///   and Tests/AssistantTests/HNSWIndexTests.swift).
public struct HNSWIndex: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Neighbours a node keeps on the upper layers (twice as many on layer 0).
        public var m: Int
        /// The candidate list's length while inserting: larger builds a better graph, more slowly.
        public var efConstruction: Int
        /// The candidate list's length while searching when `search` is given no `ef`; never below `k`.
        public var efSearch: Int

        public init(m: Int = 16, efConstruction: Int = 200, efSearch: Int = 128) {
            precondition(m >= 2 && efConstruction >= 1 && efSearch >= 1)
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
        }
    }

    public let dimensions: Int
    public let parameters: Parameters
    private var generator: SeededGenerator
    /// m_L in the paper, 1/ln(M): levels then fall by a factor M each, which the paper finds best.
    private let levelScale: Double

    /// Node i's vector is `vectors[i*dimensions ..< (i+1)*dimensions]`: one contiguous array, so a
    /// distance is two pointer offsets and no array bookkeeping.
    private(set) var vectors: [Float] = []
    private(set) var keys: [Int64] = []
    private(set) var deleted: [Bool] = []
    private(set) var levels: [Int32] = []
    private var nodeOfKey: [Int64: Int32] = [:]
    /// Layer 0's links in fixed slots: node i's are `base[i*baseStride]` (the count) followed by up to
    /// 2·m ids. Fixed slots keep the layer every search spends most of its time in one flat array.
    private(set) var base: [Int32] = []
    private let baseStride: Int
    /// The links on layers 1...levels[i]: `upper[i][layer - 1]`. Few nodes have any.
    private(set) var upper: [[[Int32]]] = []
    private(set) var entryPoint: Int32 = -1
    private(set) var topLevel = -1
    private var live = 0
    /// Reused between inserts, so an insert does not allocate and zero a visited set each time.
    private var scratch = Visited(count: 0)

    public init(dimensions: Int, parameters: Parameters = Parameters(), generator: SeededGenerator = SeededGenerator(seed: 0x5EED)) {
        precondition(dimensions > 0)
        self.dimensions = dimensions
        self.parameters = parameters
        self.generator = generator
        levelScale = 1 / log(Double(parameters.m))
        baseStride = 2 * parameters.m + 1
    }

    /// Keys present (inserted and not removed).
    public var count: Int { live }

    /// Nodes in the graph, removed ones included.
    public var nodeCount: Int { keys.count }

    public func contains(key: Int64) -> Bool { nodeOfKey[key] != nil }

    /// Adds the vector for `key`; a key already present is replaced (its old node marked deleted).
    public mutating func insert(key: Int64, vector: [Float]) {
        precondition(vector.count == dimensions, "a \(vector.count)-number vector in a \(dimensions)-dimension index")
        if let old = nodeOfKey[key] { deleted[Int(old)] = true; live -= 1 }
        let node = Int32(keys.count)
        nodeOfKey[key] = node
        keys.append(key)
        deleted.append(false)
        vectors.append(contentsOf: vector)
        live += 1
        // Level ⌊−ln(U)·m_L⌋ with U uniform in (0, 1]: 53 random bits, never 0.
        let uniform = (Double(generator.next() >> 11) + 1) * 0x1p-53
        let level = Int(-log(uniform) * levelScale)
        levels.append(Int32(level))
        base.append(contentsOf: repeatElement(0, count: baseStride))
        upper.append(Array(repeating: [], count: level))
        scratch.grow(to: keys.count)

        guard entryPoint >= 0 else {
            entryPoint = node
            topLevel = level
            return
        }
        var visited = scratch
        scratch = Visited(count: 0)
        defer { scratch = visited }
        let q = vector
        q.withUnsafeBufferPointer { qp in
            let q = qp.baseAddress!
            // Down the layers above the node's own, greedily: one nearest node is all that is carried.
            var nearest = Candidate(sim: similarity(q, entryPoint), node: entryPoint)
            var layer = topLevel
            while layer > level {
                nearest = greedy(q, from: nearest, layer: layer)
                layer -= 1
            }
            // On each of its own layers: the efConstruction nearest found, linked both ways.
            while layer >= 0 {
                let found = searchLayer(q, from: nearest, ef: parameters.efConstruction, layer: layer,
                                        visited: &visited, accept: { _ in true })
                // As many as the layer holds (2·m on layer 0, as faiss does; the paper and hnswlib take
                // m): on 384-dimension data the wider first choice measured higher recall at the same ef.
                let cap = layer == 0 ? 2 * parameters.m : parameters.m
                let chosen = selectNeighbours(found, max: cap)
                setLinks(node, layer: layer, chosen)
                for neighbour in chosen { link(neighbour, to: node, layer: layer, cap: cap) }
                nearest = found[0]
                layer -= 1
            }
        }
        if level > topLevel {
            entryPoint = node
            topLevel = level
        }
    }

    /// Marks `key` deleted: it is no longer returned, but its node stays in the graph (see the type's rules).
    public mutating func remove(key: Int64) {
        guard let node = nodeOfKey.removeValue(forKey: key) else { return }
        deleted[Int(node)] = true
        live -= 1
    }

    /// The `k` keys nearest `query` that `allowed` accepts, best first, ties by the smaller key.
    ///
    /// `ef` (default `parameters.efSearch`, raised to `k` if smaller) is how many candidates the
    /// search on layer 0 keeps: larger finds more of the true neighbours, more slowly. Removed keys
    /// and keys `allowed` refuses are walked through but not returned; the search goes on until it
    /// holds `ef` accepted ones or runs out of graph, so a filter accepting few keys makes it slower
    /// (for a filter accepting a small part of a large index an exact search over that part is better).
    public func search(_ query: [Float], k: Int, ef: Int? = nil, allowed: (Int64) -> Bool = { _ in true }) -> [ExactVectorIndex.Hit] {
        precondition(query.count == dimensions)
        guard k > 0, live > 0 else { return [] }
        let ef = max(ef ?? parameters.efSearch, k)
        var visited = Visited(count: keys.count)
        let found: [Candidate] = query.withUnsafeBufferPointer { qp in
            let q = qp.baseAddress!
            var nearest = Candidate(sim: similarity(q, entryPoint), node: entryPoint)
            var layer = topLevel
            while layer > 0 {
                nearest = greedy(q, from: nearest, layer: layer)
                layer -= 1
            }
            return searchLayer(q, from: nearest, ef: ef, layer: 0, visited: &visited) { node in
                !deleted[Int(node)] && allowed(keys[Int(node)])
            }
        }
        var hits = found.map { ExactVectorIndex.Hit(key: keys[Int($0.node)], score: $0.sim) }
        hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }
        return Array(hits.prefix(k))
    }

    // MARK: - The graph

    struct Candidate {
        var sim: Float
        var node: Int32
    }

    @inline(__always)
    private func similarity(_ q: UnsafePointer<Float>, _ node: Int32) -> Float {
        vectors.withUnsafeBufferPointer { v in
            Self.dot(q, v.baseAddress! + Int(node) * dimensions, dimensions)
        }
    }

    @inline(__always)
    private func similarity(_ a: Int32, _ b: Int32) -> Float {
        vectors.withUnsafeBufferPointer { v in
            Self.dot(v.baseAddress! + Int(a) * dimensions, v.baseAddress! + Int(b) * dimensions, dimensions)
        }
    }

    /// The inner product. OpenBLAS's `sdot` picks AVX2/FMA kernels at run time, which Swift code
    /// compiled for the baseline x86-64 target cannot use; scripts/measure-vector-search.sh times it
    /// against `dotUnrolled` at 384 dimensions (and it is as fast in a debug build as in a release one).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        cblas_sdot(Int32(n), a, 1, b, 1)
    }

    /// The inner product in plain Swift: four 8-lane accumulators (independent chains the CPU can
    /// overlap), then the tail one number at a time. Kept to be measured against `dot`.
    @inline(__always)
    static func dotUnrolled(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= n {
            let o = i * 4
            s0 += ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            s2 += ra.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            s3 += ra.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
            i += 32
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// Node's links on `layer`, handed to `body` without copying.
    @inline(__always)
    private func withNeighbours<R>(of node: Int32, layer: Int, _ body: (UnsafeBufferPointer<Int32>) -> R) -> R {
        if layer == 0 {
            return base.withUnsafeBufferPointer { b in
                let start = Int(node) * baseStride
                return body(UnsafeBufferPointer(rebasing: b[(start + 1)..<(start + 1 + Int(b[start]))]))
            }
        }
        return upper[Int(node)][layer - 1].withUnsafeBufferPointer(body)
    }

    /// The paper's greedy step on an upper layer (ef = 1): move to a nearer neighbour until none is nearer.
    private func greedy(_ q: UnsafePointer<Float>, from start: Candidate, layer: Int) -> Candidate {
        var best = start
        var moved = true
        while moved {
            moved = false
            withNeighbours(of: best.node, layer: layer) { links in
                for n in links {
                    let s = similarity(q, n)
                    if s > best.sim || (s == best.sim && n < best.node) {
                        best = Candidate(sim: s, node: n)
                        moved = true
                    }
                }
            }
        }
        return best
    }

    /// The paper's SEARCH-LAYER: a best-first walk from `start` keeping the `ef` nearest accepted
    /// nodes; it stops when the nearest unexpanded candidate is farther than the farthest kept and
    /// `ef` are kept. Returns them best first (ties by the smaller node, so the order is fixed).
    private func searchLayer(_ q: UnsafePointer<Float>, from start: Candidate, ef: Int, layer: Int,
                             visited: inout Visited, accept: (Int32) -> Bool) -> [Candidate] {
        // Both are max-heaps; `results` holds negated scores, so its root is the farthest kept.
        var candidates = MaxHeap()
        var results = MaxHeap()
        visited.clear()
        visited.insert(start.node)
        candidates.push(start)
        if accept(start.node) { results.push(Candidate(sim: -start.sim, node: start.node)) }
        var worst = results.isEmpty ? -Float.infinity : start.sim
        vectors.withUnsafeBufferPointer { vp in
            let v = vp.baseAddress!
            while let c = candidates.pop() {
                if c.sim < worst && results.count >= ef { break }
                withNeighbours(of: c.node, layer: layer) { links in
                    for n in links where !visited.contains(n) {
                        visited.insert(n)
                        let s = Self.dot(q, v + Int(n) * dimensions, dimensions)
                        guard results.count < ef || s > worst else { continue }
                        candidates.push(Candidate(sim: s, node: n))
                        if accept(n) {
                            results.push(Candidate(sim: -s, node: n))
                            if results.count > ef { _ = results.pop() }
                            worst = -results.top.sim
                        }
                    }
                }
            }
        }
        var found = results.items.map { Candidate(sim: -$0.sim, node: $0.node) }
        found.sort { $0.sim != $1.sim ? $0.sim > $1.sim : $0.node < $1.node }
        return found
    }

    /// The paper's SELECT-NEIGHBORS-HEURISTIC (without extending or keeping pruned candidates, as
    /// hnswlib does): from `candidates` (best first), keep one only when it is nearer the base node
    /// than to every one already kept.
    private func selectNeighbours(_ candidates: [Candidate], max m: Int) -> [Int32] {
        guard candidates.count > m else { return candidates.map(\.node) }
        var chosen: [Candidate] = []
        chosen.reserveCapacity(m)
        for c in candidates {
            if chosen.count == m { break }
            if chosen.allSatisfy({ similarity(c.node, $0.node) <= c.sim }) { chosen.append(c) }
        }
        return chosen.map(\.node)
    }

    private mutating func setLinks(_ node: Int32, layer: Int, _ links: [Int32]) {
        if layer == 0 {
            let start = Int(node) * baseStride
            base[start] = Int32(links.count)
            for (i, n) in links.enumerated() { base[start + 1 + i] = n }
        } else {
            upper[Int(node)][layer - 1] = links
        }
    }

    /// Adds the back link `node → new`; a full list is re-chosen by the heuristic among its links and `new`.
    private mutating func link(_ node: Int32, to new: Int32, layer: Int, cap: Int) {
        var links = withNeighbours(of: node, layer: layer) { Array($0) }
        if links.count < cap {
            links.append(new)
        } else {
            links.append(new)
            var scored = links.map { Candidate(sim: similarity(node, $0), node: $0) }
            scored.sort { $0.sim != $1.sim ? $0.sim > $1.sim : $0.node < $1.node }
            links = selectNeighbours(scored, max: cap)
        }
        setLinks(node, layer: layer, links)
    }

    // MARK: - Scratch structures

    /// Nodes seen in one layer search, one bit each (1,000,000 nodes: 125 KB, cleared in microseconds).
    struct Visited {
        private var words: [UInt64]
        init(count: Int) { words = Array(repeating: 0, count: (count + 63) / 64) }
        mutating func grow(to count: Int) {
            let needed = (count + 63) / 64
            if words.count < needed { words.append(contentsOf: repeatElement(0, count: needed - words.count)) }
        }
        mutating func clear() { words.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        @inline(__always) func contains(_ n: Int32) -> Bool { words[Int(n) >> 6] & (1 << UInt64(n & 63)) != 0 }
        @inline(__always) mutating func insert(_ n: Int32) { words[Int(n) >> 6] |= 1 << UInt64(n & 63) }
    }

    /// A binary max-heap of candidates by score.
    struct MaxHeap {
        private(set) var items: [Candidate] = []
        var count: Int { items.count }
        var isEmpty: Bool { items.isEmpty }
        var top: Candidate { items[0] }

        mutating func push(_ c: Candidate) {
            items.append(c)
            var i = items.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard items[parent].sim < items[i].sim else { break }
                items.swapAt(i, parent)
                i = parent
            }
        }

        mutating func pop() -> Candidate? {
            guard let last = items.popLast() else { return nil }
            guard !items.isEmpty else { return last }
            let top = items[0]
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var largest = i
                if l < n, items[l].sim > items[largest].sim { largest = l }
                if r < n, items[r].sim > items[largest].sim { largest = r }
                if largest == i { break }
                items.swapAt(i, largest)
                i = largest
            }
            return top
        }
    }
}
