import Replicas
import Sodium
import Wire

/// The fold: a team, and ops written from the fuzzer's bytes by four authors (any field value:
/// extreme integers, clocks at their maximum, names of any length), each signed, serialized and
/// read back as a peer's op would be, then ingested in the fuzzer's order. The replica, its
/// digest and its stored document must come out of any sequence without a trap.
struct FoldTarget: FuzzTarget {
    static let keys = (1...4).map { Ed25519KeyPair(seed: [UInt8](repeating: UInt8($0), count: 32))! }

    func run(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        var author = OpAuthor(keyPair: Self.keys[0])
        let genesis = author.createTeam(name: "fuzz", nonce: [1], wallMs: 1_000)
        guard var replica = try? TeamReplica(genesis: genesis) else { return }
        var seqs = [UInt64](repeating: 0, count: Self.keys.count)
        seqs[0] = 1
        var known: [OpID] = [genesis.id]
        var pending: [SignedOp] = []
        while !r.isEmpty && pending.count < 64 {
            let who = Int(r.byte()) % Self.keys.count
            let key = Self.keys[who]
            // Mostly the next sequence number, sometimes any.
            let jump = r.byte()
            seqs[who] = jump < 200 ? seqs[who] &+ 1 : UInt64(jump) << 56 | r.u64() >> 8
            let hlc = HLCTimestamp(wallMs: r.byte() < 30 ? .max - UInt64(r.byte()) : UInt64(r.u32()) * 1000, logical: r.byte() < 20 ? .max : r.u32() & 0xFF)
            let operation = Self.operation(&r, known: known, keys: Self.keys)
            let body = OpBody(authorKey: key.publicKey, seq: max(1, seqs[who]), hlc: hlc, team: replica.id, operation: operation)
            let signed = SignedOp.sign(body, with: key)
            // As a peer's op arrives: from bytes, through the one validator.
            guard let received = try? SignedOp(serialized: signed.serialized) else { continue }
            known.append(received.id)
            pending.append(received)
            if r.byte() & 3 == 0 {
                _ = replica.ingest(pending.reversed())
                pending.removeAll()
            }
        }
        _ = replica.ingest(pending)
        _ = replica.state.digest
        _ = replica.state.snapshot(nowMs: UInt64(r.u32()) * 1000)
        _ = replica.state.queue(role: .member).count
        _ = replica.ops(missingFrom: VersionVector(), maxBytes: 4096)
    }

    static func operation(_ r: inout ByteReader, known: [OpID], keys: [Ed25519KeyPair]) -> TeamOperation {
        func id() -> OpID {
            if !known.isEmpty && r.byte() <= 240 { return known[Int(r.byte()) % known.count] }
            return OpID(bytes: [UInt8](repeating: r.byte(), count: 32))!
        }
        func role() -> Role { Role.allCases[Int(r.byte()) % Role.allCases.count] }
        func member() -> Ed25519PublicKey { keys[Int(r.byte()) % keys.count].publicKey }
        switch r.byte() % 17 {
        case 0: return .renameTeam(name: r.text())
        case 1: return .addMember(publicKey: member(), role: role(), invite: r.byte() & 1 == 0 ? nil : id())
        case 2: return .removeMember(NodeID(publicKey: member()))
        case 3: return .setRole(NodeID(publicKey: member()), role())
        case 4: return .createInvite(role: role(), expiresWallMs: r.u64())
        case 5: return .revokeInvite(id())
        case 6: return .requestPromotion
        case 7: return .approvePromotion(request: id())
        case 8:
            let stages = (0..<Int(r.byte() % 4) + 1).map { _ in
                StageDefinition(name: r.text(max: 40), roles: (0..<Int(r.byte() % 3)).map { _ in role() },
                                slaSeconds: r.byte() & 1 == 0 ? nil : r.u64())
            }
            return .defineWorkflow(name: r.text(max: 40), stages: stages)
        case 9: return .createItem(workflow: id(), title: r.text(), priority: Int32(bitPattern: r.u32()))
        case 10: return .claimItem(id(), base: id())
        case 11: return .startItem(id(), base: id())
        case 12: return .completeItem(id(), base: id())
        case 13: return .setPriority(id(), Int32(bitPattern: r.u32()))
        case 14:
            let chunks = (0..<Int(r.byte() % 3)).map { _ in id() }
            return .putBlob(BlobMetadata(blob: id(), name: r.text(), size: r.u64(), chunks: chunks, chunkSize: r.u32()))
        case 15: return .deleteBlob(id())
        default: return .createTeam(name: r.text(max: 40), nonce: r.chunk())
        }
    }
}
