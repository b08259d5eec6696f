// The Swift side of scripts/measure-vector-search.sh, compiled with -O together with the Assistant
// module's sources: ExactVectorIndex and HNSWIndex over the vectors faiss_side.py wrote (the same
// float32 numbers faiss searches). Prints one JSON object.
//   vector-search-bench DIR N D NQ HNSW_N M EFC EF,EF,...
import COpenBLAS
import Foundation

let arguments = CommandLine.arguments
let dir = arguments[1]
let (n, d, nq, hnswN) = (Int(arguments[2])!, Int(arguments[3])!, Int(arguments[4])!, Int(arguments[5])!)
let (m, efc) = (Int(arguments[6])!, Int(arguments[7])!)
let efs = arguments[8].split(separator: ",").map { Int($0)! }
let k = 10

func read<T>(_ path: String, count: Int, as: T.Type) -> [T] {
    guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(file) }
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        initialized = fread(buffer.baseAddress, MemoryLayout<T>.stride, count, file)
        precondition(initialized == count, "\(path): \(initialized) of \(count) read")
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
}
func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }

let base = read("\(dir)/base.f32", count: n * d, as: Float.self)
let queries = read("\(dir)/queries.f32", count: nq * d, as: Float.self)
let faissIDs = read("\(dir)/faiss_ids.i64", count: nq * k, as: Int64.self)
let query = (0..<nq).map { Array(queries[$0 * d..<($0 + 1) * d]) }
var out: [String: Any] = ["openblas_threads_max": Int(openblas_get_num_threads())]
let maxThreads = Int(openblas_get_num_threads())

// The two inner products HNSWIndex could use, over 4,096 stored vectors (in cache), in ns a call.
do {
    var sink: Float = 0
    base.withUnsafeBufferPointer { b in
        query[0].withUnsafeBufferPointer { q in
            for (name, f) in [("sdot", HNSWIndex.dot), ("unrolled", HNSWIndex.dotUnrolled)] as [(String, (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float)] {
                let reps = 200
                let start = now()
                for _ in 0..<reps {
                    for row in 0..<4096 { sink += f(q.baseAddress!, b.baseAddress! + row * d, d) }
                }
                out["dot_ns_\(name)"] = (now() - start) * 1e6 / Double(reps * 4096)
            }
        }
    }
    out["dot_sink"] = Double(sink)
}

// Exact search over all N.
var exact = ExactVectorIndex(dimensions: d)
var start = now()
for row in 0..<n { exact.insert(key: Int64(row), vector: Array(base[row * d..<(row + 1) * d])) }
out["exact_insert_s"] = (now() - start) / 1000
// One query at a time: one thread (search runs cblas_sdot row by row, which OpenBLAS does not split).
for i in 0..<3 { _ = exact.search(query[i], k: k) }
var times: [Double] = []
var agree = 0
for i in 0..<nq {
    let t = now()
    let hits = exact.search(query[i], k: k)
    times.append(now() - t)
    agree += Set(hits.map(\.key)).intersection(faissIDs[i * k..<(i + 1) * k]).count
}
out["exact_single_ms"] = mean(times)
out["exact_single_p50"] = percentile(times, 0.5)
out["exact_single_p99"] = percentile(times, 0.99)
out["exact_agreement_with_faiss"] = Double(agree) / Double(nq * k)
// All queries as one batch (cblas_sgemm, which OpenBLAS splits over its threads).
for threads in Set([1, maxThreads]).sorted() {
    openblas_set_num_threads(Int32(threads))
    start = now()
    let batch = exact.searchBatch(query, k: k)
    out["exact_batch_ms_t\(threads)"] = (now() - start) / Double(nq)
    var batchAgree = 0
    for i in 0..<nq { batchAgree += Set(batch[i].map(\.key)).intersection(faissIDs[i * k..<(i + 1) * k]).count }
    out["exact_batch_agreement_with_faiss"] = Double(batchAgree) / Double(nq * k)
}
openblas_set_num_threads(Int32(maxThreads))
exact = ExactVectorIndex(dimensions: d)

// HNSW over the first hnswN vectors, recall against an exact search of the same ones.
var subset = ExactVectorIndex(dimensions: d)
for row in 0..<hnswN { subset.insert(key: Int64(row), vector: Array(base[row * d..<(row + 1) * d])) }
let truth = query.map { Set(subset.search($0, k: k).map(\.key)) }
var exactSubsetTimes: [Double] = []
for q in query { let t = now(); _ = subset.search(q, k: k); exactSubsetTimes.append(now() - t) }
out["exact_subset_single_ms"] = mean(exactSubsetTimes)
subset = ExactVectorIndex(dimensions: d)
var hnsw = HNSWIndex(dimensions: d, parameters: .init(m: m, efConstruction: efc), generator: SeededGenerator(seed: 42))
start = now()
for row in 0..<hnswN { hnsw.insert(key: Int64(row), vector: Array(base[row * d..<(row + 1) * d])) }
out["hnsw_build_s"] = (now() - start) / 1000
var rows: [[String: Double]] = []
for ef in efs {
    var times: [Double] = []
    var found = 0
    for (i, q) in query.enumerated() {
        let t = now()
        let hits = hnsw.search(q, k: k, ef: ef)
        times.append(now() - t)
        found += hits.filter { truth[i].contains($0.key) }.count
    }
    rows.append(["ef": Double(ef), "recall": Double(found) / Double(nq * k), "p50": percentile(times, 0.5), "p99": percentile(times, 0.99)])
}
out["hnsw"] = rows
let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
