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
    /// keys `allowed` accepts are considered (the person's own documents).
    public func search(_ query: [Float], k: Int, allowed: (Int64) -> Bool = { _ in true }) -> [Hit] {
        precondition(query.count == dimensions)
        let n = keys.count
        guard n > 0, k > 0 else { return [] }
        var scores = [Float](repeating: 0, count: n)
        matrix.withUnsafeBufferPointer { m in
            query.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dimensions), 1,
                                m.baseAddress, Int32(dimensions), q.baseAddress, 1, 0, s.baseAddress, 1)
                }
            }
        }
        var top = TopK(k: k)
        for row in 0..<n where allowed(keys[row]) { top.offer(Hit(key: keys[row], score: scores[row])) }
        return top.sorted()
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

    func sorted() -> [ExactVectorIndex.Hit] { heap.sorted { Self.below($1, $0) } }
}
