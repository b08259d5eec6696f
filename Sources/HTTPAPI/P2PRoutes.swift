import Foundation
import Hummingbird
import MeshCore
import MeshNode
import Wire

/// `/api/v1/p2p`: the node's peers and the mesh's notices.
struct P2PRoutes: Sendable {
    let node: Node
    let transport: Transport?
    let trust: TrustStore?

    struct Peer: ResponseCodable, Equatable {
        let nodeId: String
        /// Where the link was made (when linked).
        let addresses: [String]
        /// alive, suspect or dead (liveness), or unlinked for a trusted peer without a link.
        let state: String
        let linked: Bool
        /// How the trust came about: pinned, paired or address; nil for a peer not in the store.
        let trust: String?
        let lastSeenMsAgo: Int64?
        let rttMs: Double?
    }

    struct Peers: ResponseCodable { let peers: [Peer] }

    struct NoticeRequest: Decodable { let text: String }
    struct NoticeView: ResponseCodable, Equatable {
        let origin: String
        let text: String
        let hops: UInt32
        let receivedAtMs: UInt64
    }
    struct Notices: ResponseCodable { let notices: [NoticeView] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let api = router.group("/api/v1/p2p")
        api.get("/peers") { _, _ in try await peers() }
        api.get("/notices") { _, _ in
            Notices(notices: await node.recentNotices().map {
                NoticeView(origin: $0.origin.description, text: $0.text, hops: $0.hops, receivedAtMs: $0.receivedAtMs)
            })
        }
        api.post("/notices") { request, context -> Response in
            let body = try await request.decode(as: NoticeRequest.self, context: context)
            do { try await node.broadcastNotice(body.text) } catch let error as NoticeError {
                throw APIError.badRequest(error.description)
            }
            return Response(status: .accepted)
        }
    }

    private func peers() async throws -> Peers {
        let liveness = await node.peerLiveness()
        let linked = Dictionary(uniqueKeysWithValues: (transport?.linkedPeers ?? []).map { ($0.0, $0.1) })
        var out: [NodeID: Peer] = [:]
        for (id, info, since) in liveness {
            out[id] = Peer(nodeId: id.description, addresses: linked[id].flatMap { $0 }.map { [$0] } ?? [],
                           state: info.status.rawValue, linked: linked[id] != nil, trust: trust?.entry(id)?.source.rawValue,
                           lastSeenMsAgo: since, rttMs: info.rtt.map { Double($0.nanoseconds) / 1e6 })
        }
        for entry in trust?.all ?? [] where out[entry.node] == nil {
            out[entry.node] = Peer(nodeId: entry.node.description, addresses: [], state: "unlinked", linked: false,
                                   trust: entry.source.rawValue, lastSeenMsAgo: nil, rttMs: nil)
        }
        return Peers(peers: out.keys.sorted().map { out[$0]! })
    }
}
