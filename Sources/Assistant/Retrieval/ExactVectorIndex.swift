import COpenBLAS
import Foundation

/// Vectors kept in one contiguous row-major matrix, searched exactly: every score is computed
/// (one `cblas_sgemv`, a matrix–vector product) and the best `k` are kept in a small heap.
///
/// Rules it keeps: vectors are unit length (the embedding backends promise it), so the inner product
/// is the cosine similarity; results are sorted by score, ties by the smaller key, so a search gives
/// the same list every time; `remove` keeps the matrix dense (the last row moves into the hole).
public struct ExactVectorIndex: Sendable {
    public let dimensions: Int
    private(set) var matrix: [Float] = []
    private(set) var keys: [Int64] = []
    private var rowOfKey: [Int64: Int] = [:]

    public init(dimensions: Int) { self.dimensions = dimensions }

    public var count: Int { keys.count }

    /// Adds (or replaces) the vector for `key`.
    public mutating func insert(key: Int64, vector: [Float]) {
        precondition(vector.count == dimensions, "a \(vector.count)-number vector in a \(dimensions)-dimension index")
        if let row = rowOfKey[key] {
            matrix.replaceSubrange(row * dimensions..<(row + 1) * dimensions, with: vector)
            return
        }
        rowOfKey[key] = keys.count
        keys.append(key)
        matrix.append(contentsOf: vector)
    }

    /// Every key with its vector, in row order (what an approximate index is built from).
    public func allVectors() -> [(key: Int64, vector: [Float])] {
        keys.indices.map { row in (keys[row], Array(matrix[row * dimensions..<(row + 1) * dimensions])) }
    }

    public mutating func remove(key: Int64) {
        guard let row = rowOfKey.removeValue(forKey: key) else { return }
        let last = keys.count - 1
        if row != last {
            let moved = keys[last]
            keys[row] = moved
            rowOfKey[moved] = row
            for i in 0..<dimensions { matrix[row * dimensions + i] = matrix[last * dimensions + i] }
        }
        keys.removeLast()
        matrix.removeLast(dimensions)
    }

    public struct Hit: Sendable, Equatable {
        public let key: Int64
        public let score: Float
    }

    /// The `k` keys whose vectors are nearest `query` (highest inner product), best first; only
    /// keys `allowed` accepts are considered (the person's own documents). `allowed` is asked only
    /// about keys scoring high enough to enter the best `k` so far, so it should not have side effects.
    public func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool = { _ in true }) -> [Hit] {
        precondition(query.count == dimensions)
        let n = keys.count
        guard n > 0, k > 0 else { return [] }
        // Scored a block of rows at a time: the block's scores (16 KB) are still in cache when the
        // heap reads them, where one score array for a million rows (4 MB) would be written out and
        // read back; the matrix itself is read once either way.
        let block = min(n, Self.batchBlock)
        var scores = [Float](repeating: 0, count: block)
        var top = TopK(k: k)
        matrix.withUnsafeBufferPointer { m in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    for first in stride(from: 0, to: n, by: block) {
                        let rows = min(block, n - first)
                        let d = dimensions
                        for r in 0..<rows { s[r] = cblas_sdot(Int32(d), m.baseAddress! + (first + r) * d, 1, q.baseAddress, 1) }
                        top.offer(scores: s.baseAddress!, rows: rows, keys: keys, first: first, allowed: allowed)
                    }
                }
            }
        }
        return top.sorted()
    }
}

extension ExactVectorIndex {
    /// Rows scored per block: 4,096 rows × 384 dimensions is 6 MB of matrix a block; its scores (16 KB
    /// a query; 3 MB for a batch of 200) stay in cache while the heaps read them.
    static let batchBlock = 4096

    /// The `k` nearest keys for each of `queries`, best first, as `search` finds them one at a time
    /// (scores can differ from `search`'s in the last bit, since the sums are ordered differently).
    /// The matrix is read once for the whole batch — one `cblas_sgemm` per block of rows instead of a
    /// `cblas_sgemv` a query — which is what makes many queries together cheaper than one by one.
    public func searchBatch(_ queries: [[Float]], k: Int, allowed: (Int64) -> Bool = { _ in true }) -> [[Hit]] {
        let nq = queries.count
        let n = keys.count
        guard nq > 0 else { return [] }
        guard n > 0, k > 0 else { return Array(repeating: [], count: nq) }
        var packed = [Float]()
        packed.reserveCapacity(nq * dimensions)
        for q in queries {
            precondition(q.count == dimensions)
            packed.append(contentsOf: q)
        }
        var tops = (0..<nq).map { _ in TopK(k: k) }
        let block = min(n, Self.batchBlock)
        var scores = [Float](repeating: 0, count: block * nq)
        matrix.withUnsafeBufferPointer { m in
            packed.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    for first in stride(from: 0, to: n, by: block) {
                        let rows = min(block, n - first)
                        // scores (nq × rows) = queries (nq × d) · block (rows × d)ᵀ: each query's scores contiguous.
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(nq), Int32(rows), Int32(dimensions), 1,
                                    q.baseAddress, Int32(dimensions), m.baseAddress! + first * dimensions, Int32(dimensions),
                                    0, s.baseAddress, Int32(rows))
                        for i in 0..<nq {
                            tops[i].offer(scores: s.baseAddress! + i * rows, rows: rows, keys: keys, first: first, allowed: allowed)
                        }
                    }
                }
            }
        }
        return tops.map { $0.sorted() }
    }
}

/// The best `k` hits seen so far, in a min-heap whose root is the worst kept.
struct TopK {
    let k: Int
    private var heap: [ExactVectorIndex.Hit] = []

    init(k: Int) { self.k = k; heap.reserveCapacity(k) }

    /// "a ranks below b": a lower score, or the same score and a larger key.
    static func below(_ a: ExactVectorIndex.Hit, _ b: ExactVectorIndex.Hit) -> Bool {
        a.score != b.score ? a.score < b.score : a.key > b.key
    }

    mutating func offer(_ hit: ExactVectorIndex.Hit) {
        if heap.count < k {
            heap.append(hit)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard Self.below(heap[i], heap[parent]) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        } else if Self.below(heap[0], hit) {
            heap[0] = hit
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count, Self.below(heap[l], heap[smallest]) { smallest = l }
                if r < heap.count, Self.below(heap[r], heap[smallest]) { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
    }

    /// Offers `rows` consecutive scores, row `r` being key `keys[first + r]`. A score below the worst
    /// kept is dropped before anything else is looked at — once the heap is full that is nearly every
    /// row — so `allowed` (a dictionary lookup in DocumentLibrary) runs only for the few that could enter.
    @inline(__always)
    mutating func offer(scores: UnsafePointer<Float>, rows: Int, keys: [Int64], first: Int, allowed: (Int64) -> Bool) {
        keys.withUnsafeBufferPointer { keys in
            var r = 0
            while r < rows {
                let score = scores[r]
                if heap.count < k || score >= heap[0].score {
                    let key = keys[first + r]
                    if allowed(key) { offer(ExactVectorIndex.Hit(key: key, score: score)) }
                }
                r += 1
            }
        }
    }

    func sorted() -> [ExactVectorIndex.Hit] { heap.sorted { Self.below($1, $0) } }
}
