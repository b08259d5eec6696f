import Foundation
import Hummingbird
import MeshNode
import NIOCore
import Replicas
import Services
import Sodium
import Wire

/// `/api/v1/teams/{team}/vault`: sealed chunks (opaque bytes addressed by their SHA-256) and
/// the file index (the replica's vault). The node accepts ciphertext only: a chunk must hash to
/// its address, and a file's name must be a sealed entry (base64 of nonce, ciphertext and
/// tag), never a readable name. Encryption and decryption happen in the client
/// (`elohim vault put/get`, PROTOCOL.md section 11).
struct VaultRoutes: Sendable {
    let node: Node
    let services: NodeServices

    struct FileRequest: Decodable { let name: String; let size: UInt64; let chunks: [String]; let chunkSize: UInt32 }
    struct ChunkView: ResponseCodable { let id: String; let size: Int }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let vault = router.group("/api/v1/teams/{team}/vault")
        vault.put("/chunks/{chunk}") { request, context -> EditedResponse<ChunkView> in
            let team = try context.teamID()
            let id = try context.opID("chunk")
            let body = try await request.body.collect(upTo: VaultFormat.maxSealedChunk + 1)
            guard body.readableBytes <= VaultFormat.maxSealedChunk else {
                throw APIError(.contentTooLarge, "chunk_too_large", "a sealed chunk is at most \(VaultFormat.maxSealedChunk) bytes")
            }
            let bytes = Array(buffer: body)
            guard bytes.count >= 28 else { throw APIError.badRequest("a sealed chunk is at least 28 bytes (nonce and tag)") }
            guard VaultFormat.address(bytes) == id else {
                throw APIError.badRequest("the chunk's SHA-256 is not \(id): the address must be the hash of the sealed bytes")
            }
            do { try services.chunks.put(team: team.description, id: id.description, data: bytes) } catch {
                throw APIError(.init(code: 507), "vault_full", "\(error)")
            }
            return EditedResponse(status: .created, response: ChunkView(id: id.description, size: bytes.count))
        }
        vault.get("/chunks/{chunk}") { _, context -> Response in
            let team = try context.teamID()
            let id = try context.opID("chunk")
            guard let bytes = try services.chunks.get(team: team.description, id: id.description) else {
                // Named by the index but not here: chunk sync is fetching it from peers.
                if await node.vaultNames(chunk: id, team: team) {
                    throw APIError(.notFound, "chunk_not_here_yet",
                                   "chunk \(id) is in the vault index but not on this node yet: it is being fetched from the peers that hold it; try again in a moment")
                }
                throw APIError.notFound("no chunk \(id) of this team on this node")
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        vault.post("/files") { request, context -> EditedResponse<VaultFileView> in
            let team = try context.teamID()
            let body = try await request.decode(as: FileRequest.self, context: context)
            guard let sealed = Data(base64Encoded: body.name), sealed.count >= 28 else {
                throw APIError.badRequest("name must be a sealed vault entry (base64), not a readable name: the node takes ciphertext only")
            }
            guard body.chunks.count <= OpLimits.chunksPerBlob else {
                throw APIError.limit(OpLimitViolation(field: "chunks", limit: "at most \(OpLimits.chunksPerBlob) chunks", found: "\(body.chunks.count) chunks"))
            }
            let chunks = try body.chunks.map { try APIRequestContext.opID($0, "chunk") }
            let missing = try services.chunks.missing(team: team.description, ids: chunks.map(\.description))
            guard missing.isEmpty else {
                throw APIError(.conflict, "chunks_missing", "upload these chunks first: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? " and \(missing.count - 5) more" : "")")
            }
            let meta = BlobMetadata(blob: OpID(bytes: Sodium.randomBytes(count: 32))!, name: body.name, size: body.size, chunks: chunks, chunkSize: body.chunkSize)
            try APIError.checkLimits(.putBlob(meta))
            switch await node.write(.putBlob(meta), team: team) {
            case .applied, .conflict:
                return EditedResponse(status: .created, response: try await file(meta.blob, team: team))
            case let .refused(reason, why): throw APIError(.badRequest, "refused_" + reason.rawValue.replacingOccurrences(of: "-", with: "_"), why)
            case let .invalid(v): throw APIError.limit(v)
            case .noSuchTeam: throw APIError.notFound("no team \(team) on this node")
            }
        }
        vault.get("/files") { _, context -> VaultFileList in
            let team = try context.teamID()
            guard let state = await node.team(team) else { throw APIError.notFound("no team \(team) on this node") }
            return VaultFileList(files: state.vault.keys.sorted().compactMap { id in state.vault[id].map { Self.view(id, $0) } })
        }
        vault.delete("/files/{blob}") { _, context -> VaultFileView in
            let team = try context.teamID()
            let blob = try context.opID("blob")
            let view = try await file(blob, team: team)
            switch await node.write(.deleteBlob(blob), team: team) {
            case .applied, .conflict: return view
            case let .refused(_, why): throw APIError(.forbidden, "refused", why)
            case let .invalid(v): throw APIError.limit(v)
            case .noSuchTeam: throw APIError.notFound("no team \(team) on this node")
            }
        }
    }

    private func file(_ blob: BlobID, team: TeamID) async throws -> VaultFileView {
        guard let entry = await node.team(team)?.vault[blob] else { throw APIError.notFound("no file \(blob) in this team's vault") }
        return Self.view(blob, entry)
    }

    static func view(_ id: BlobID, _ e: VaultEntry) -> VaultFileView {
        VaultFileView(blob: id.description, name: e.metadata.name, size: e.metadata.size, chunks: e.metadata.chunks.map(\.description),
                 chunkSize: e.metadata.chunkSize, owner: e.owner.description)
    }
}

/// A file of the vault index as the API shows it (the name is a sealed entry); the CLI decodes the same type.
public struct VaultFileView: ResponseCodable, Sendable {
    public let blob: String
    public let name: String
    public let size: UInt64
    public let chunks: [String]
    public let chunkSize: UInt32
    public let owner: String
}

public struct VaultFileList: ResponseCodable, Sendable { public let files: [VaultFileView] }
