import Foundation
import Sodium
import SwiftProtobuf
import Wire

/// Conversion between `OpBody` and the `OpBody` message of Protocol/replicas.proto. Every
/// decoded operation passes `OpValidator` (the limits of `OpLimits`, PROTOCOL.md section 7.1).
enum OpCoding {

    static func encode(_ body: OpBody) -> [UInt8] {
        var m = Elohim_Replicas_V1_OpBody()
        m.protocolVersion = ProtocolVersion.current
        m.authorKey = Data(body.authorKey.bytes)
        m.seq = body.seq
        m.hlcWallMs = body.hlc.wallMs
        m.hlcLogical = body.hlc.logical
        m.team = body.team.map { Data($0.bytes) } ?? Data()
        m.op = encode(body.operation)
        return ((try? m.serializedData()) ?? Data()).byteArray
    }

    static func decode(_ bytes: [UInt8]) throws(OpError) -> OpBody {
        let m: Elohim_Replicas_V1_OpBody
        do { m = try Elohim_Replicas_V1_OpBody(serializedBytes: Data(bytes)) } catch { throw .malformed("OpBody") }
        guard let key = Ed25519PublicKey(bytes: m.authorKey.byteArray) else {
            throw .badField("author_key", reason: "must be 32 bytes")
        }
        guard m.seq >= 1 else { throw .badField("seq", reason: "starts at 1") }
        let team: TeamID? = m.team.isEmpty ? nil : try opID(m.team, "team")
        let operation = try decode(m.op)
        do { try OpValidator.validate(operation) } catch {
            throw .badField("\(operation.name).\(error.field)", reason: "must be \(error.limit); it is \(error.found)")
        }
        if case .createTeam = operation {
            guard team == nil else { throw .badField("team", reason: "must be empty in create-team") }
        } else if team == nil {
            throw .badField("team", reason: "is required except in create-team")
        }
        return OpBody(authorKey: key, seq: m.seq, hlc: HLCTimestamp(wallMs: m.hlcWallMs, logical: m.hlcLogical),
                      team: team, operation: operation)
    }

    // MARK: Operations

    private static func encode(_ op: TeamOperation) -> Elohim_Replicas_V1_TeamOp {
        var t = Elohim_Replicas_V1_TeamOp()
        switch op {
        case let .createTeam(name, nonce):
            var m = Elohim_Replicas_V1_CreateTeam()
            m.name = name
            m.nonce = Data(nonce)
            t.createTeam = m
        case let .renameTeam(name):
            var m = Elohim_Replicas_V1_RenameTeam()
            m.name = name
            t.renameTeam = m
        case let .addMember(key, role, invite, name, device):
            var m = Elohim_Replicas_V1_AddMember()
            m.publicKey = Data(key.bytes)
            m.role = wire(role)
            m.invite = invite.map { Data($0.bytes) } ?? Data()
            if let name { m.name = name }
            m.device = device.map { Data($0.bytes) } ?? Data()
            t.addMember = m
        case let .removeMember(node, seen):
            var m = Elohim_Replicas_V1_RemoveMember()
            m.member = Data(node.bytes)
            if let seen { m.seenSeq = seen }
            t.removeMember = m
        case let .setRole(node, role, seen):
            var m = Elohim_Replicas_V1_SetRole()
            m.member = Data(node.bytes)
            m.role = wire(role)
            if let seen { m.seenSeq = seen }
            t.setRole = m
        case let .createInvite(role, expires):
            var m = Elohim_Replicas_V1_CreateInvite()
            m.role = wire(role)
            m.expiresWallMs = expires
            t.createInvite = m
        case let .revokeInvite(id):
            var m = Elohim_Replicas_V1_RevokeInvite()
            m.invite = Data(id.bytes)
            t.revokeInvite = m
        case .requestPromotion:
            t.requestPromotion = Elohim_Replicas_V1_RequestPromotion()
        case let .approvePromotion(request):
            var m = Elohim_Replicas_V1_ApprovePromotion()
            m.request = Data(request.bytes)
            t.approvePromotion = m
        case let .defineWorkflow(name, stages):
            var m = Elohim_Replicas_V1_DefineWorkflow()
            m.name = name
            m.stages = stages.map { s in
                var w = Elohim_Replicas_V1_Stage()
                w.name = s.name
                w.roles = s.roles.map(wire)
                w.slaSeconds = s.slaSeconds ?? 0
                return w
            }
            t.defineWorkflow = m
        case let .createItem(workflow, title, priority):
            var m = Elohim_Replicas_V1_CreateItem()
            m.workflow = Data(workflow.bytes)
            m.title = title
            m.priority = priority
            t.createItem = m
        case let .claimItem(item, base):
            var m = Elohim_Replicas_V1_ClaimItem()
            m.item = Data(item.bytes)
            m.base = Data(base.bytes)
            t.claimItem = m
        case let .startItem(item, base):
            var m = Elohim_Replicas_V1_StartItem()
            m.item = Data(item.bytes)
            m.base = Data(base.bytes)
            t.startItem = m
        case let .completeItem(item, base):
            var m = Elohim_Replicas_V1_CompleteItem()
            m.item = Data(item.bytes)
            m.base = Data(base.bytes)
            t.completeItem = m
        case let .setPriority(item, priority):
            var m = Elohim_Replicas_V1_SetPriority()
            m.item = Data(item.bytes)
            m.priority = priority
            t.setPriority = m
        case let .putBlob(meta):
            var m = Elohim_Replicas_V1_PutBlob()
            m.blob = Data(meta.blob.bytes)
            m.name = meta.name
            m.size = meta.size
            m.chunks = meta.chunks.map { Data($0.bytes) }
            m.chunkSize = meta.chunkSize
            t.putBlob = m
        case let .deleteBlob(blob):
            var m = Elohim_Replicas_V1_DeleteBlob()
            m.blob = Data(blob.bytes)
            t.deleteBlob = m
        case let .postMessage(content):
            var m = Elohim_Replicas_V1_PostMessage()
            m.channel = content.channel
            m.item = content.item.map { Data($0.bytes) } ?? Data()
            m.text = content.text
            m.mentions = content.mentions.map { Data($0.bytes) }
            m.attachments = content.attachments.map { Data($0.bytes) }
            t.postMessage = m
        }
        return t
    }

    private static func decode(_ t: Elohim_Replicas_V1_TeamOp) throws(OpError) -> TeamOperation {
        switch t.kind {
        case let .createTeam(m)?:
            return .createTeam(name: m.name, nonce: m.nonce.byteArray)
        case let .renameTeam(m)?:
            return .renameTeam(name: m.name)
        case let .addMember(m)?:
            guard let key = Ed25519PublicKey(bytes: m.publicKey.byteArray) else {
                throw .badField("add_member.public_key", reason: "must be 32 bytes")
            }
            return .addMember(publicKey: key, role: try role(m.role, "add_member.role"),
                              invite: m.invite.isEmpty ? nil : try opID(m.invite, "add_member.invite"),
                              name: m.hasName ? m.name : nil,
                              device: m.device.isEmpty ? nil : try nodeID(m.device, "add_member.device"))
        case let .removeMember(m)?:
            return .removeMember(try nodeID(m.member, "remove_member.member"), seenSeq: m.hasSeenSeq ? m.seenSeq : nil)
        case let .setRole(m)?:
            return .setRole(try nodeID(m.member, "set_role.member"), try role(m.role, "set_role.role"),
                            seenSeq: m.hasSeenSeq ? m.seenSeq : nil)
        case let .createInvite(m)?:
            return .createInvite(role: try role(m.role, "create_invite.role"), expiresWallMs: m.expiresWallMs)
        case let .revokeInvite(m)?:
            return .revokeInvite(try opID(m.invite, "revoke_invite.invite"))
        case .requestPromotion?:
            return .requestPromotion
        case let .approvePromotion(m)?:
            return .approvePromotion(request: try opID(m.request, "approve_promotion.request"))
        case let .defineWorkflow(m)?:
            // Checked before the stages are read, so a huge list costs nothing.
            guard (1...OpLimits.stages).contains(m.stages.count) else {
                throw .badField("define-workflow.stages", reason: "must be 1 to \(OpLimits.stages) stages; it is \(m.stages.count)")
            }
            var stages: [StageDefinition] = []
            for s in m.stages {
                var roles: [Role] = []
                for r in s.roles { roles.append(try role(r, "stage.roles")) }
                stages.append(StageDefinition(name: s.name, roles: roles,
                                              slaSeconds: s.slaSeconds == 0 ? nil : s.slaSeconds))
            }
            return .defineWorkflow(name: m.name, stages: stages)
        case let .createItem(m)?:
            return .createItem(workflow: try opID(m.workflow, "create_item.workflow"),
                               title: m.title, priority: m.priority)
        case let .claimItem(m)?:
            return .claimItem(try opID(m.item, "claim_item.item"), base: try opID(m.base, "claim_item.base"))
        case let .startItem(m)?:
            return .startItem(try opID(m.item, "start_item.item"), base: try opID(m.base, "start_item.base"))
        case let .completeItem(m)?:
            return .completeItem(try opID(m.item, "complete_item.item"), base: try opID(m.base, "complete_item.base"))
        case let .setPriority(m)?:
            return .setPriority(try opID(m.item, "set_priority.item"), m.priority)
        case let .putBlob(m)?:
            guard m.chunks.count <= OpLimits.chunksPerBlob else {
                throw .badField("put-blob.chunks", reason: "must be at most \(OpLimits.chunksPerBlob) chunks; it is \(m.chunks.count)")
            }
            var chunks: [BlobID] = []
            chunks.reserveCapacity(m.chunks.count)
            for c in m.chunks { chunks.append(try opID(c, "put_blob.chunks")) }
            return .putBlob(BlobMetadata(blob: try opID(m.blob, "put_blob.blob"),
                                         name: m.name,
                                         size: m.size, chunks: chunks, chunkSize: m.chunkSize))
        case let .deleteBlob(m)?:
            return .deleteBlob(try opID(m.blob, "delete_blob.blob"))
        case let .postMessage(m)?:
            // The counts are checked before the lists are read, so a huge list costs nothing.
            guard m.mentions.count <= OpLimits.mentions, m.attachments.count <= OpLimits.attachments else {
                throw .badField("post-message", reason: "at most \(OpLimits.mentions) mentions and \(OpLimits.attachments) attachments")
            }
            var mentions: [NodeID] = []
            for n in m.mentions { mentions.append(try nodeID(n, "post_message.mentions")) }
            var attachments: [BlobID] = []
            for b in m.attachments { attachments.append(try opID(b, "post_message.attachments")) }
            return .postMessage(MessageContent(channel: m.channel, item: m.item.isEmpty ? nil : try opID(m.item, "post_message.item"),
                                               text: m.text, mentions: mentions, attachments: attachments))
        case nil:
            throw .badField("op", reason: "is empty or of a kind this version does not know")
        }
    }

    // MARK: Fields

    private static func wire(_ role: Role) -> Elohim_Replicas_V1_Role {
        switch role {
        case .guest: .guest
        case .member: .member
        case .admin: .admin
        case .superAdmin: .superAdmin
        }
    }

    private static func role(_ r: Elohim_Replicas_V1_Role, _ field: String) throws(OpError) -> Role {
        switch r {
        case .guest: .guest
        case .member: .member
        case .admin: .admin
        case .superAdmin: .superAdmin
        default: throw .badField(field, reason: "unknown role")
        }
    }

    static func opID(_ d: Data, _ field: String) throws(OpError) -> OpID {
        guard let id = OpID(bytes: d) else { throw .badField(field, reason: "must be 32 bytes") }
        return id
    }

    private static func nodeID(_ d: Data, _ field: String) throws(OpError) -> NodeID {
        guard let id = NodeID(bytes: d.byteArray) else { throw .badField(field, reason: "must be 20 bytes") }
        return id
    }
}
