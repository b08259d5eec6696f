import Sodium
import Wire

/// What an op does, as Swift values (the `TeamOp` of Protocol/replicas.proto).
public enum TeamOperation: Hashable, Sendable {
    // The team (Team/TeamRules.swift).
    case createTeam(name: String, nonce: [UInt8])
    case renameTeam(name: String)
    /// `name`: a person's display name; `device`: the node a person's keys were made on (both
    /// nil for a node member, and in ops of v0.1 nodes). PROTOCOL.md section 13.
    case addMember(publicKey: Ed25519PublicKey, role: Role, invite: OpID?, name: String? = nil, device: NodeID? = nil)
    /// `seenSeq`: the member's highest sequence number in the writer's log when it signed; its
    /// later ops are judged with the removal in force (PROTOCOL.md section 7.4). `OpAuthor`
    /// fills it in; nil only in ops of v0.1 nodes.
    case removeMember(NodeID, seenSeq: UInt64? = nil)
    /// `seenSeq` as for `removeMember`: a lower role holds for the member's later ops.
    case setRole(NodeID, Role, seenSeq: UInt64? = nil)
    case createInvite(role: Role, expiresWallMs: UInt64)
    case revokeInvite(OpID)
    case requestPromotion
    case approvePromotion(request: OpID)
    // Workflows (Workflow/WorkflowRules.swift).
    case defineWorkflow(name: String, stages: [StageDefinition])
    case createItem(workflow: OpID, title: String, priority: Int32)
    case claimItem(OpID, base: OpID)
    case startItem(OpID, base: OpID)
    case completeItem(OpID, base: OpID)
    case setPriority(OpID, Int32)
    // The vault index (Vault/VaultRules.swift).
    case putBlob(BlobMetadata)
    case deleteBlob(BlobID)
    // Messages (Message/MessageRules.swift).
    /// A message in `channel`, or in the thread of work item `item` (then `channel` is empty).
    case postMessage(MessageContent)

    /// A short name for logs, audit entries and conflict reports.
    public var name: String {
        switch self {
        case .createTeam: "create-team"
        case .renameTeam: "rename-team"
        case .addMember: "add-member"
        case .removeMember: "remove-member"
        case .setRole: "set-role"
        case .createInvite: "create-invite"
        case .revokeInvite: "revoke-invite"
        case .requestPromotion: "request-promotion"
        case .approvePromotion: "approve-promotion"
        case .defineWorkflow: "define-workflow"
        case .createItem: "create-item"
        case .claimItem: "claim-item"
        case .startItem: "start-item"
        case .completeItem: "complete-item"
        case .setPriority: "set-priority"
        case .putBlob: "put-blob"
        case .deleteBlob: "delete-blob"
        case .postMessage: "post-message"
        }
    }
}

/// One stage of a workflow.
public struct StageDefinition: Hashable, Sendable {
    public var name: String
    /// Roles whose members may claim items in this stage.
    public var roles: [Role]
    /// Time an item may spend in the stage before it is overdue; nil for none.
    public var slaSeconds: UInt64?

    public init(name: String, roles: [Role], slaSeconds: UInt64?) {
        self.name = name
        self.roles = roles
        self.slaSeconds = slaSeconds
    }

    /// Whether `role` may claim in this stage: the one rule, stated once (PROTOCOL.md section 7.3).
    /// A stage's roles name who it is for, and every role above counts too, so a stage for
    /// members is also for Admins and the Super Admin (who may do everything); no roles means any
    /// member. Guests never write, whatever a stage lists.
    public func admits(_ role: Role) -> Bool {
        guard role > .guest else { return false }
        return roles.isEmpty || roles.contains { role >= $0 }
    }
}

/// A vault blob is named by the BLAKE2b-256 of its ciphertext.
public typealias BlobID = OpID

/// What the vault index records of a blob: never any plaintext.
public struct BlobMetadata: Hashable, Sendable {
    public var blob: BlobID
    public var name: String
    public var size: UInt64
    public var chunks: [BlobID]
    public var chunkSize: UInt32

    public init(blob: BlobID, name: String, size: UInt64, chunks: [BlobID], chunkSize: UInt32) {
        self.blob = blob
        self.name = name
        self.size = size
        self.chunks = chunks
        self.chunkSize = chunkSize
    }
}
