import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HTTPAPI

/// Workflows and work items through the router, on a node that founded its team.
@Suite struct WorkflowRoutesTests {
    struct Team: Decodable { let id: String }
    struct Workflow: Decodable { let id: String; let name: String }
    struct Item: Decodable { let id: String; let title: String; let priority: Int32; let status: String; let assignee: String?; let stageName: String; let sla: String }
    struct Items: Decodable { let items: [Item] }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static func decode<T: Decodable>(_ r: TestResponse, as: T.Type = T.self) throws -> T { try JSONDecoder().decode(T.self, from: Data(buffer: r.body)) }

    @Test func anItemGoesFromQueueToDoneAndTheQueueSortsByPriority() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        let nodeID = t.node.nodeID.description
        try await t.test { client in
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: Self.json(#"{"name": "crew"}"#)) {
                try Self.decode($0, as: Team.self)
            }
            let base = "/api/v1/teams/\(team.id)"
            let define = #"{"name": "repairs", "stages": [{"name": "work", "roles": ["member", "admin", "super-admin"], "slaSeconds": 3600}, {"name": "review", "roles": ["admin", "super-admin"]}]}"#
            let workflow = try await client.execute(uri: base + "/workflows", method: .post, headers: auth, body: Self.json(define)) { r throws in
                #expect(r.status == .created)
                return try Self.decode(r, as: Workflow.self)
            }
            var ids: [String] = []
            for (title, priority) in [("low", 1), ("high", 8), ("mid", 5)] {
                let item = try await client.execute(uri: base + "/items", method: .post, headers: auth,
                                                    body: Self.json(#"{"workflow": "\#(workflow.id)", "title": "\#(title)", "priority": \#(priority)}"#)) { r throws in
                    #expect(r.status == .created)
                    return try Self.decode(r, as: Item.self)
                }
                #expect(item.status == "queued" && item.stageName == "work" && item.sla == "ok")
                ids.append(item.id)
            }
            try await client.execute(uri: base + "/items?role=member", method: .get, headers: auth) { r throws in
                #expect(try Self.decode(r, as: Items.self).items.map(\.title) == ["high", "mid", "low"])
            }
            try await client.execute(uri: base + "/items?role=guest", method: .get, headers: auth) { r throws in
                #expect(try Self.decode(r, as: Items.self).items.isEmpty, "no stage lets a guest act")
            }
            // Work stage: claim, start, complete moves it to review (queued again, unassigned); review: claim, complete.
            let path: [(String, String, String, Bool)] = [("claim", "claimed", "work", true), ("start", "in_progress", "work", true),
                                                          ("complete", "queued", "review", false), ("claim", "claimed", "review", true),
                                                          ("complete", "completed", "review", true)]
            for (step, status, stage, assigned) in path {
                try await client.execute(uri: base + "/items/\(ids[1])/\(step)", method: .post, headers: auth) { r throws in
                    #expect(r.status == .ok, "\(step): \(String(buffer: r.body))")
                    let item = try Self.decode(r, as: Item.self)
                    #expect(item.status == status && item.stageName == stage && (item.assignee == nodeID) == assigned, "\(step)")
                }
            }
            try await client.execute(uri: base + "/items?status=completed", method: .get, headers: auth) { r throws in
                let done = try Self.decode(r, as: Items.self).items
                #expect(done.map(\.title) == ["high"] && done[0].sla == "done")
            }
            // Claiming a completed item is refused by the team's rules, with a reason.
            try await client.execute(uri: base + "/items/\(ids[1])/claim", method: .post, headers: auth) { r throws in
                #expect(r.status == .forbidden)
                #expect(try Self.decode(r, as: ErrorBody.self).error.code.hasPrefix("refused_"))
            }
        }
    }

    @Test(arguments: [
        ("/items", #"{"workflow": "WF", "title": "x", "priority": 12}"#, 400, "priority must be 0 to 9; it is 12"),
        ("/items", #"{"workflow": "WF", "title": "   ", "priority": 1}"#, 400, "title must be 1 to 1000 bytes (UTF-8); it is empty"),
        ("/items", #"{"workflow": "nothex", "title": "x"}"#, 400, "a workflow ID is 64 hex digits"),
        ("/items", #"{"workflow": "\#(String(repeating: "0", count: 64))", "title": "x"}"#, 404, "no workflow"),
        ("/items", #"{"title": "x"}"#, 400, "workflow"),
        ("/workflows", #"{"name": "w", "stages": []}"#, 400, "stages must be 1 to 32 stages; it is 0"),
        ("/workflows", #"{"name": "w", "stages": [{"name": "s", "roles": ["boss"]}]}"#, 400, "unknown role 'boss'"),
        ("/workflows", #"{"name": "w", "stages": [{"name": "s", "roles": ["member"], "slaSeconds": 0}]}"#, 400, "slaSeconds must be"),
        ("/items/" + String(repeating: "0", count: 64) + "/fly", "", 404, "use claim, start or complete"),
        ("/items/" + String(repeating: "0", count: 64) + "/claim", "", 404, "no work item"),
    ])
    func badRequestsSayWhatWasWrong(path: String, body: String, status: Int, message: String) async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test { client in
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: Self.json(#"{"name": "crew"}"#)) {
                try Self.decode($0, as: Team.self)
            }
            let workflow = try await client.execute(uri: "/api/v1/teams/\(team.id)/workflows", method: .post, headers: auth,
                                                    body: Self.json(#"{"name": "w", "stages": [{"name": "s", "roles": ["member"]}]}"#)) {
                try Self.decode($0, as: Workflow.self)
            }
            try await client.execute(uri: "/api/v1/teams/\(team.id)\(path)", method: .post, headers: auth,
                                     body: Self.json(body.replacingOccurrences(of: "\"WF\"", with: "\"\(workflow.id)\""))) { r throws in
                #expect(Int(r.status.code) == status, "\(path) \(body): \(String(buffer: r.body))")
                let error = try Self.decode(r, as: ErrorBody.self).error
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
    }
}
