import Foundation
import MeshCore
import Replicas
import Sodium
import Wire

/// libFuzzer's start-up hook. With `FUZZ_MAKE_CORPUS=DIR` it writes seed inputs for the
/// selected target into DIR and exits: the seeds in `Fuzz/Corpus/` were made this way, so
/// fuzzing starts from valid messages and mutates inwards.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let env = ProcessInfo.processInfo.environment
    guard let dir = env["FUZZ_MAKE_CORPUS"], let name = env["FUZZ_TARGET"] else { _ = FuzzTargets.selected; return 0 }
    let seeds = Seeds.for(name)
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (k, seed) in seeds.enumerated() {
        _ = FileManager.default.createFile(atPath: "\(dir)/seed-\(k)", contents: Data(seed))
    }
    FileHandle.standardError.write(Data("wrote \(seeds.count) seeds for \(name) into \(dir)\n".utf8))
    exit(0)
}

enum Seeds {
    static let a = Ed25519KeyPair(seed: [UInt8](repeating: 1, count: 32))!
    static var node: NodeID { NodeID(publicKey: a.publicKey) }

    static func `for`(_ target: String) -> [[UInt8]] {
        switch target {
        case "frames": frames()
        case "ops": ops()
        case "fold": (0..<8).map { k in (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ k &* 11) } }
        case "noise": noise()
        case "pairing": pairing()
        case "scenario": scenarios()
        case "requests": requests()
        default: []
        }
    }

    static var messages: [MeshMessage] {
        let id = MessageID(origin: node, seq: 7, payload: [])
        return [
            .gossip(GossipFrame(origin: node, seq: 1, ttl: 6, hops: 1, payload: [1, 2, 3])),
            .iHave([Announcement(id: id, hops: 2)]), .graft([id]), .prune, .want([id]), .digest([Announcement(id: id, hops: 1)]),
            .treeAdvert(TreeAdvert(root: node, distance: 2, parent: node)),
            .ping(seq: 1, incarnation: 2), .ack(seq: 1, incarnation: 2), .pingReq(seq: 3, target: node),
            .indirectAck(seq: 3, target: node, incarnation: 4), .suspect(target: node, incarnation: UInt64.max - 1),
            .alive(target: node, incarnation: 9),
            .syncVector(team: [UInt8](repeating: 4, count: 32), entries: [VectorEntry(author: node, seq: 3)], reply: true),
            .syncOps(team: [UInt8](repeating: 4, count: 32), ops: OpBatchCoding.encode(ops1), compressed: false, more: false, count: 2),
            .chunkWant(team: [UInt8](repeating: 4, count: 32), ids: [[UInt8](repeating: 5, count: 32)]),
            .chunkData(team: [UInt8](repeating: 4, count: 32), id: [UInt8](repeating: 5, count: 32), data: [9, 9]),
        ]
    }

    static var ops1: [SignedOp] {
        var author = OpAuthor(keyPair: a)
        let genesis = author.createTeam(name: "seed", nonce: [1], wallMs: 1_000)
        guard let replica = try? TeamReplica(genesis: genesis) else { return [genesis] }
        return [genesis, author.write(.defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: [.member], slaSeconds: 60)]),
                                      in: replica, wallMs: 2_000)]
    }

    static func frames() -> [[UInt8]] {
        messages.map { [64] + Framing.frame($0.serialized()) } + [[8] + messages.flatMap { Framing.frame($0.serialized()) }]
    }

    static func ops() -> [[UInt8]] {
        let batch = OpBatchCoding.encode(ops1)
        return ops1.map { [0] + $0.serialized } + [[1] + batch, [2] + GossipPayloadCoding.encode(ops1[0]),
                                                   [2] + GossipPayloadCoding.encode(notice: "hello"),
                                                   [2] + SignedNotice.payload(text: "hello", keyPair: a, sentAtMs: 1_800_000_000_000),
                                                   [3] + Zstd.compress(batch)]
    }

    static func noise() -> [[UInt8]] {
        let hello = LinkHello(identity: a, noiseStatic: NoiseKeyPair(privateKey: [UInt8](repeating: 2, count: 32)).publicKey, listenPort: 1)
        guard var initiator = try? LinkSession(initiatorWith: hello, noiseStatic: NoiseKeyPair(privateKey: [UInt8](repeating: 2, count: 32)),
                                               ephemeralPrivateKey: [UInt8](repeating: 4, count: 32), knownResponderStatic: nil),
              let first = try? initiator.firstFrame() else { return [] }
        return [[UInt8(first.count >> 2), UInt8(first.count & 3)] + first]
    }

    static func pairing() -> [[UInt8]] {
        let g = CPace.generator(password: [1], channel: [2], sid: [3])
        let request = PairRequest(tag: "7K3D", share: CPace.share(generator: g, scalar: [UInt8](repeating: 3, count: 32)).point,
                                  identityKey: a.publicKey.bytes)
        return [[UInt8](repeating: 0, count: 8) + MeshMessage.pair(.request(request)).serialized(),
                [UInt8](repeating: 1, count: 8) + MeshMessage.pair(.result(PairResult(accepted: true, message: "paired"))).serialized()]
    }

    static func scenarios() -> [[UInt8]] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Simulations")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()) ?? []
        return files.compactMap { FileManager.default.contents(atPath: folder.appendingPathComponent($0).path).map { [UInt8]($0) } }
    }

    /// A body per route of `RequestsTarget`, the route's index first.
    static func requests() -> [[UInt8]] {
        let bodies = [
            #"{"username": "bob", "password": "a long passphrase"}"#, #"{"username": "ada", "password": "a long passphrase"}"#,
            #"{"setupToken": "00", "username": "eve", "password": "a long passphrase"}"#,
            #"{"currentPassword": "x", "newPassword": "a longer passphrase"}"#, #"{"name": "crew"}"#,
            #"{"name": "w", "stages": [{"name": "s", "roles": ["member"], "slaSeconds": 60}]}"#,
            #"{"workflow": "0000000000000000000000000000000000000000000000000000000000000000", "title": "t", "priority": 3}"#, "",
            #"{"role": "member", "profiles": [], "overrides": {"items.work": "own"}}"#, #"{"grants": {"vault.access": "read"}}"#,
            #"{"name": "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", "size": 0, "chunks": [], "chunkSize": 524288}"#, "chunk",
            #"{"team": null, "role": "member", "expires": "2h"}"#, #"{"text": "hello"}"#,
        ]
        return bodies.enumerated().map { [UInt8($0.offset)] + Array($0.element.utf8) }
    }
}
