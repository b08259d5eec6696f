import ArgumentParser
import Foundation

/// `elohim status`: one look at a running node: who it is, its peers, its teams, the limits it hit.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running node: its ID, peers, teams and any limit it hit.",
        discussion: """
        Reads the node of --data-dir (or $ELOHIM_DATA, or ./.elohim) through its API as its \
        operator. --json prints everything the node reports, for scripts.
        """
    )

    @OptionGroup var api: APIOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Diagnostics: Decodable {
        struct Core: Decodable {
            struct Limit: Decodable { let limit: String; let hits: Int }
            struct Quarantine: Decodable { let rows: Int }
            let uptimeSeconds: Double
            let teams: Int
            let limitsHit: [Limit]
            let quarantine: Quarantine?
        }
        let nodeId: String
        let version: String
        let node: Core
        let links: Int
    }
    struct Peers: Decodable {
        struct Peer: Decodable { let nodeId: String; let state: String; let linked: Bool; let addresses: [String] }
        let peers: [Peer]
    }

    func run() async throws {
        let client = try api.client()
        let raw: (diagnostics: [UInt8], peers: [UInt8], teams: [UInt8])
        do {
            raw = (try await client.getBytes("diagnostics"), try await client.getBytes("api/v1/p2p/peers"), try await client.getBytes("api/v1/teams"))
        } catch { throw fail(error) }
        if json {
            let merged = try ["diagnostics": raw.diagnostics, "peers": raw.peers, "teams": raw.teams].mapValues {
                try JSONSerialization.jsonObject(with: Data($0))
            }
            Listing.json([UInt8](try JSONSerialization.data(withJSONObject: merged)))
            return
        }
        let d = try JSONDecoder().decode(Diagnostics.self, from: Data(raw.diagnostics))
        let peers = try JSONDecoder().decode(Peers.self, from: Data(raw.peers)).peers
        let teams = try JSONDecoder().decode(Lookup.Teams.self, from: Data(raw.teams)).teams
        var text = """
        node \(d.nodeId) (elohim \(d.version)), up \(Self.uptime(d.node.uptimeSeconds)), at \(client.base.absoluteString)
        peers: \(peers.count) known, \(d.links) linked

        """
        for p in peers { text += "  \(p.nodeId)  \(p.state)\(p.linked ? ", linked" : "")\(p.addresses.isEmpty ? "" : " at " + p.addresses.joined(separator: ", "))\n" }
        text += "teams: \(teams.count)\n"
        for t in teams { text += "  \(Listing.short(t.id))  \(t.name) (\(t.members.count) member\(t.members.count == 1 ? "" : "s"))\n" }
        if d.node.limitsHit.isEmpty {
            text += "limits: none hit since start\n"
        } else {
            text += "limits hit since start:\n" + d.node.limitsHit.map { "  \($0.limit): \($0.hits) time(s)\n" }.joined()
        }
        if let q = d.node.quarantine, q.rows > 0 {
            text += "quarantine: \(q.rows) stored row(s) failed verification and were set aside (see /diagnostics)\n"
        }
        FileHandleOutput.standardOutput(text)
    }

    static func uptime(_ s: Double) -> String {
        let t = Int(s)
        return t >= 86_400 ? "\(t / 86_400)d \(t % 86_400 / 3600)h" : t >= 3600 ? "\(t / 3600)h \(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m \(t % 60)s" : "\(t)s"
    }
}
