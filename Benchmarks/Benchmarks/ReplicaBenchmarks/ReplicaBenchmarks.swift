import Benchmark
import Foundation
import MeshNode
import Replicas
import Sodium
import Wire

/// Replica figures of the Replicas issue, each beside a baseline measured in the same run:
/// - applying ops in order (the fold) and taking ops in from bytes (decode, verify, fold),
///   against Ed25519 verification of the same ops alone (the floor of any replica);
/// - merging two replicas that diverged by 100,000 ops each;
/// - bytes per op in the node's SQLite database.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(20), maxIterations: 20)

    // Each sample takes 1,000 ops (kilo scaling): throughput is in ops per second.
    Benchmark("baseline: verify op signatures", configuration: .init(scalingFactor: .kilo)) { benchmark, f in
        for i in benchmark.scaledIterations {
            let op = f.ops[i]
            blackHole(op.body.authorKey.isValidSignature(op.signature, for: op.bodyBytes))
        }
    } setup: { Fixture.shared }

    Benchmark("apply ops in order (fold only)", configuration: .init(scalingFactor: .kilo)) { benchmark, f in
        var replica = try! TeamReplica(genesis: f.genesis)
        for i in benchmark.scaledIterations { blackHole(replica.ingest([f.ops[i]])) }
    } setup: { Fixture.shared }

    Benchmark("decode, verify and apply ops", configuration: .init(scalingFactor: .kilo)) { benchmark, f in
        var replica = try! TeamReplica(genesis: f.genesis)
        for i in benchmark.scaledIterations { blackHole(replica.ingest([try! SignedOp(serialized: f.serialized[i])])) }
    } setup: { Fixture.shared }

    Benchmark("merge two replicas diverged by 100k ops each",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxDuration: .seconds(120), maxIterations: 3)) {
        benchmark, diverged in
        for _ in benchmark.scaledIterations {
            var a = diverged.a
            benchmark.startMeasurement()
            let report = a.ingest(diverged.bOnly)
            benchmark.stopMeasurement()
            precondition(report.refolded && a.opCount == diverged.a.opCount + diverged.bOnly.count)
            blackHole(a.state.digest)
        }
    } setup: { Diverged.make(each: 100_000) }

    Benchmark("bytes per op on disk",
              configuration: .init(metrics: [.custom("bytes per op", polarity: .prefersSmaller, useScalingFactor: false)],
                                   maxIterations: 1)) { benchmark, ops in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-bench-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ops.sqlite").path
        let db = try! NodeDatabase(path: path)
        for chunk in stride(from: 0, to: ops.ops.count, by: 500) {
            try! db.appendOps(Array(ops.ops[chunk..<min(chunk + 500, ops.ops.count)]), team: ops.genesis.id)
        }
        try! db.close()
        let size = (try! FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).intValue
        benchmark.measurement(.custom("bytes per op", polarity: .prefersSmaller, useScalingFactor: false), size / ops.ops.count)
    } setup: { Fixture.shared }
}

/// 10,000 signed ops of a realistic mix (items created, claimed, started, completed, renamed),
/// made once per process.
final class Fixture: Sendable {
    static let shared = Fixture()
    let genesis: SignedOp
    let ops: [SignedOp]
    let serialized: [[UInt8]]

    init() {
        var founder = OpAuthor(keyPair: Ed25519KeyPair(seed: [UInt8](repeating: 1, count: 32))!)
        genesis = founder.createTeam(name: "bench", nonce: [1], wallMs: 1_000)
        var replica = try! TeamReplica(genesis: genesis)
        var ops: [SignedOp] = []
        var wall: UInt64 = 2_000
        func write(_ op: TeamOperation) -> SignedOp {
            wall += 1
            let signed = founder.write(op, in: replica, wallMs: wall)
            _ = replica.ingest([signed])
            ops.append(signed)
            return signed
        }
        let wf = write(.defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: [.superAdmin, .admin], slaSeconds: 3600)]))
        while ops.count < 10_000 {
            let item = write(.createItem(workflow: wf.id, title: "check pump at site \(ops.count)", priority: Int32(ops.count % 5)))
            let claim = write(.claimItem(item.id, base: item.id))
            let start = write(.startItem(item.id, base: claim.id))
            _ = write(.completeItem(item.id, base: start.id))
        }
        self.ops = Array(ops.prefix(10_000))
        serialized = self.ops.map(\.serialized)
    }
}

/// Two replicas of one team that diverged: each holds `each` ops the other lacks.
struct Diverged: Sendable {
    let a: TeamReplica
    let bOnly: [SignedOp]

    static func make(each: Int) -> Diverged {
        let keysA = Ed25519KeyPair(seed: [UInt8](repeating: 1, count: 32))!, keysB = Ed25519KeyPair(seed: [UInt8](repeating: 2, count: 32))!
        var authorA = OpAuthor(keyPair: keysA), authorB = OpAuthor(keyPair: keysB)
        let genesis = authorA.createTeam(name: "diverged", nonce: [2], wallMs: 1_000)
        var common = try! TeamReplica(genesis: genesis)
        let add = authorA.write(.addMember(publicKey: keysB.publicKey, role: .admin, invite: nil), in: common, wallMs: 1_001)
        _ = common.ingest([add])
        var a = common, b = common
        var bOnly: [SignedOp] = []
        var batchA: [SignedOp] = []
        for k in 0..<each {
            // Interleaved clocks: the two sides wrote at the same time, apart.
            let opA = authorA.write(.renameTeam(name: "a\(k % 97)"), in: a, wallMs: 2_000 + UInt64(k) * 2)
            _ = a.ingest([opA])
            batchA.append(opA)
            let opB = authorB.write(.renameTeam(name: "b\(k % 89)"), in: b, wallMs: 2_001 + UInt64(k) * 2)
            _ = b.ingest([opB])
            bOnly.append(opB)
        }
        return Diverged(a: a, bOnly: bOnly)
    }
}
