import Foundation

/// Teams, workflows and items as people name them on the command line: the full 64-hex-digit ID,
/// a prefix of it (at least 4 digits) that only one has, or — for teams and workflows — the
/// name. An ambiguous or unknown reference is an error that lists what would match.
struct Lookup {
    let client: APIClient

    struct Team: Decodable {
        /// `kind` is "person" or "node" (absent from v0.1 nodes); `name` is a person's display name.
        /// `person`: the member's ID (a person's, or a node's; absent from v0.1 nodes, where `nodeId` is it).
        struct Member: Decodable { let person: String?; let nodeId: String; let role: String; let name: String?; let kind: String? }
        let id: String
        let name: String
        let creator: String
        let members: [Member]
    }
    struct Teams: Decodable { let teams: [Team] }
    struct Stage: Codable { let name: String; let roles: [String]; let slaSeconds: UInt64? }
    struct Workflow: Decodable { let id: String; let name: String; let stages: [Stage] }
    struct Workflows: Decodable { let workflows: [Workflow] }
    struct Item: Decodable {
        let id: String; let workflow: String; let title: String; let priority: Int; let stageName: String
        let status: String; let assignee: String?; let sla: String
    }
    struct Items: Decodable { let items: [Item] }

    func team(_ reference: String) async throws -> Team {
        let teams: Teams
        do { teams = try await client.get("api/v1/teams") } catch { throw fail(error) }
        return try Self.pick(reference, from: teams.teams, kind: "team", id: \.id, name: \.name, hint: "elohim team ls")
    }

    func workflow(_ reference: String, team: Team) async throws -> Workflow {
        let list: Workflows
        do { list = try await client.get("api/v1/teams/\(team.id)/workflows") } catch { throw fail(error) }
        return try Self.pick(reference, from: list.workflows, kind: "workflow", id: \.id, name: \.name,
                             hint: "elohim workflow ls --team \(Listing.short(team.id))")
    }

    func item(_ reference: String, team: Team) async throws -> Item {
        let list: Items
        do { list = try await client.get("api/v1/teams/\(team.id)/items") } catch { throw fail(error) }
        return try Self.pick(reference, from: list.items, kind: "item", id: \.id, name: nil, hint: "elohim item ls --team \(Listing.short(team.id))")
    }

    /// The one element `reference` names: its ID, a unique ID prefix of 4+ hex digits, or its name.
    static func pick<T>(_ reference: String, from all: [T], kind: String, id: (T) -> String, name: ((T) -> String)?, hint: String) throws -> T {
        // A prefix copied from a listing may carry the listing's ellipsis.
        var r = reference.lowercased()
        while r.hasSuffix("…") || r.hasSuffix(".") { r.removeLast() }
        if let exact = all.first(where: { id($0) == r }) { return exact }
        var matches: [T] = []
        if let name { matches = all.filter { name($0) == reference } }
        if matches.isEmpty, r.count >= 4, r.allSatisfy(\.isHexDigit) { matches = all.filter { id($0).hasPrefix(r) } }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw fail("no \(kind) '\(reference)' on this node: give its ID (or a prefix of 4+ digits)\(name == nil ? "" : " or its name"); `\(hint)` lists them")
        }
        let listed = matches.prefix(5).map { t in Listing.short(id(t)) + (name.map { " (\($0(t)))" } ?? "") }.joined(separator: ", ")
        throw fail("'\(reference)' names \(matches.count) \(kind)s (\(listed)): give more of the ID")
    }
}
