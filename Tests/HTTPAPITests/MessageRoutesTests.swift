import Foundation
import Hummingbird
import HummingbirdTesting
import Sodium
import Testing
import Wire
@testable import HTTPAPI

/// `/api/v1/teams/{team}/messages` and `/channels` through the router, with real people: who
/// posts (members, not guests), pages, threads, search, and every refusal with its reason.
@Suite struct MessageRoutesTests {
    typealias P = PersonRoutesTests
    struct Ref: Decodable, Equatable { let id: String; let name: String? }
    struct Message: Decodable { let id: String; let channel: String?; let item: String?; let author: String; let authorName: String?
        let atMs: UInt64; let text: String; let mentions: [Ref]; let attachments: [String] }
    struct Messages: Decodable { let messages: [Message]; let more: Bool }
    struct Channel: Decodable { let name: String; let count: Int; let latestMs: UInt64 }
    struct Channels: Decodable { let channels: [Channel] }
    struct Failure: Decodable { struct Inner: Decodable { let code: String; let message: String; let field: String? }; let error: Inner }

    @Test func peoplePostReadPageSearchAndAreRefusedWithReasons() async throws {
        let t = try await P.unlimitedNode()
        try await t.test { client in
            try await P.register(client, t.operatorHeaders, "ada", name: "Ada Lovelace")
            let ada = try await P.login(client, "ada")
            let team: P.Team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(ada.token),
                                                        body: P.json(#"{"name": "crew"}"#)) { try P.decode($0) }
            try await P.register(client, t.bearer(ada.token), "bob", name: "Bo Chen")
            try await P.register(client, t.bearer(ada.token), "cyrus", name: "Cy Guest")
            let bo = try await P.login(client, "bob"), cy = try await P.login(client, "cyrus")
            let boID = try #require(bo.account.person), cyID = try #require(cy.account.person), adaID = try #require(ada.account.person)
            for (id, role) in [(boID, "member"), (cyID, "guest")] {
                try await client.execute(uri: "/api/v1/teams/\(team.id)/members", method: .post, headers: t.bearer(ada.token),
                                         body: P.json(#"{"person": "\#(id)", "role": "\#(role)"}"#)) { #expect($0.status == .created) }
            }
            let base = "/api/v1/teams/\(team.id)"
            func post(_ token: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "\(base)/messages", method: .post, headers: t.bearer(token), body: P.json(body)) { $0 }
            }
            func get<T: Decodable>(_ token: String, _ query: String, as: T.Type = T.self) async throws -> T {
                try await client.execute(uri: "\(base)/\(query)", method: .get, headers: t.bearer(token)) {
                    #expect($0.status == .ok, "\(query): \(String(buffer: $0.body))")
                    return try P.decode($0)
                }
            }
            func refused(_ r: TestResponse, _ status: HTTPResponse.Status, _ code: String, _ words: String) throws {
                #expect(r.status == status, "\(String(buffer: r.body))")
                let e = try P.decode(Failure.self, r)
                #expect(e.error.code == code && e.error.message.contains(words), "\(e.error.code): \(e.error.message)")
            }

            // Ada posts to general (the default), mentioning Bo; the message is hers, with names.
            let first = try await post(ada.token, #"{"text": "  Pump 3 at the Café is down  ", "mentions": ["\#(boID)"]}"#)
            #expect(first.status == .created, "\(String(buffer: first.body))")
            let posted = try P.decode(Message.self, first)
            #expect(posted.channel == "general" && posted.item == nil && posted.text == "Pump 3 at the Café is down", "trimmed")
            #expect(posted.author == adaID && posted.authorName == "Ada Lovelace")
            #expect(posted.mentions == [Ref(id: boID, name: "Bo Chen")])
            for k in 1...5 { #expect(try await post(bo.token, #"{"channel": "general", "text": "reply \#(k)"}"#).status == .created) }
            #expect(try await post(bo.token, #"{"channel": "logistics", "text": "fuel at noon"}"#).status == .created)

            // The guest reads but does not post: refused by the access table, before any op.
            try refused(try await post(cy.token, #"{"text": "may I?"}"#), .forbidden, "permission_denied", "messages.post")
            let page: Messages = try await get(cy.token, "messages?channel=general&limit=4")
            #expect(page.messages.map(\.text) == ["reply 2", "reply 3", "reply 4", "reply 5"] && page.more)
            let older: Messages = try await get(cy.token, "messages?channel=general&limit=4&before=\(page.messages[0].id)")
            #expect(older.messages.map(\.text) == ["Pump 3 at the Café is down", "reply 1"] && !older.more)
            let channels: Channels = try await get(bo.token, "channels")
            #expect(channels.channels.map(\.name) == ["general", "logistics"] && channels.channels.map(\.count) == [6, 1])

            // Search: every word, case and accents ignored, newest first.
            let found: Messages = try await get(bo.token, "messages?q=CAFE%20pump")
            #expect(found.messages.map(\.id) == [posted.id])
            let replies: Messages = try await get(bo.token, "messages?q=reply&limit=2")
            #expect(replies.messages.map(\.text) == ["reply 5", "reply 4"] && replies.more)

            // An item's thread.
            let workflow: P.IDOnly = try await client.execute(
                uri: "\(base)/workflows", method: .post, headers: t.bearer(ada.token),
                body: P.json(#"{"name": "repairs", "stages": [{"name": "fix", "roles": ["member"]}]}"#)) { try P.decode($0) }
            let item: P.IDOnly = try await client.execute(uri: "\(base)/items", method: .post, headers: t.bearer(ada.token),
                                                          body: P.json(#"{"workflow": "\#(workflow.id)", "title": "pump 3"}"#)) { try P.decode($0) }
            let note = try P.decode(Message.self, try await post(bo.token, #"{"item": "\#(item.id)", "text": "bring the 12 mm wrench"}"#))
            #expect(note.item == item.id && note.channel == nil && note.authorName == "Bo Chen")
            let thread: Messages = try await get(ada.token, "messages?item=\(item.id)")
            #expect(thread.messages.map(\.id) == [note.id])
            let afterThread: Channels = try await get(ada.token, "channels")
            #expect(afterThread.channels.map(\.count) == [6, 1], "a thread is not a channel")

            // Refusals, each with what was wrong.
            let nowhere = String(repeating: "ab", count: 32)
            try refused(try await post(bo.token, #"{"item": "\#(nowhere)", "text": "lost"}"#), .notFound, "not_found", "no work item")
            try refused(try await post(bo.token, #"{"channel": "general", "item": "\#(item.id)", "text": "both"}"#), .badRequest, "bad_request", "not both")
            try refused(try await post(bo.token, #"{"channel": "Main Room", "text": "x"}"#), .badRequest, "limit_exceeded", "lowercase letters")
            try refused(try await post(bo.token, #"{"text": "   "}"#), .badRequest, "limit_exceeded", "text must be 1 to 8192 bytes")
            let long = String(repeating: "é", count: 4097)  // 8,194 bytes in 4,097 characters
            try refused(try await post(bo.token, #"{"text": "\#(long)"}"#), .badRequest, "limit_exceeded", "8194 bytes")
            let stranger = NodeID(publicKey: Ed25519KeyPair(seed: [UInt8](repeating: 77, count: 32))!.publicKey).description
            try refused(try await post(bo.token, #"{"text": "hi", "mentions": ["\#(stranger)"]}"#), .badRequest, "bad_request", "not a member")
            try refused(try await post(bo.token, #"{"text": "hi", "mentions": ["someone"]}"#), .badRequest, "bad_request", "mentions[0]")
            try refused(try await client.execute(uri: "\(base)/messages?channel=general&q=pump", method: .get, headers: t.bearer(bo.token)) { $0 },
                        .badRequest, "bad_request", "whole team")
            try refused(try await client.execute(uri: "\(base)/messages?limit=0", method: .get, headers: t.bearer(bo.token)) { $0 },
                        .badRequest, "bad_request", "limit must be 1 to 200")
            try refused(try await client.execute(uri: "\(base)/messages?q=%20%20", method: .get, headers: t.bearer(bo.token)) { $0 },
                        .badRequest, "bad_request", "at least one word")
            try refused(try await client.execute(uri: "\(base)/messages?q=a%20b%20c%20d%20e%20f%20g%20h%20i", method: .get,
                                                 headers: t.bearer(bo.token)) { $0 }, .badRequest, "bad_request", "at most 8 words")
            try refused(try await client.execute(uri: "\(base)/messages?before=\(nowhere)", method: .get, headers: t.bearer(bo.token)) { $0 },
                        .notFound, "not_found", "no message")
            let all: Messages = try await get(ada.token, "messages?limit=200")
            #expect(all.messages.count == 6, "no refused request left a message")

            // Notifications: Bo was mentioned by Ada; Ada's own message is no news to her; the guest
            // was not named. `since` (the newest seen) makes the unread count.
            struct Note: Decodable { let kind: String; let team: String; let teamName: String; let atMs: UInt64; let message: Message? }
            struct Notes: Decodable { let notifications: [Note]; let unread: Int }
            func notes(_ token: String, _ query: String = "") async throws -> Notes {
                try await client.execute(uri: "/api/v1/notifications\(query)", method: .get, headers: t.bearer(token)) {
                    #expect($0.status == .ok, "\(String(buffer: $0.body))")
                    return try P.decode($0)
                }
            }
            let boNotes = try await notes(bo.token)
            #expect(boNotes.notifications.map(\.kind) == ["mention"] && boNotes.unread == 1)
            #expect(boNotes.notifications.first?.message?.id == posted.id && boNotes.notifications.first?.teamName == "crew")
            #expect(try await notes(bo.token, "?since=\(boNotes.notifications[0].atMs)").unread == 0)
            #expect(try await notes(ada.token).notifications.isEmpty)
            #expect(try await notes(cy.token).notifications.isEmpty)
            try refused(try await client.execute(uri: "/api/v1/notifications?limit=0", method: .get, headers: t.bearer(bo.token)) { $0 },
                        .badRequest, "bad_request", "limit must be 1 to 200")
            try refused(try await client.execute(uri: "/api/v1/notifications?since=yesterday", method: .get, headers: t.bearer(bo.token)) { $0 },
                        .badRequest, "bad_request", "since must be")
            try await client.execute(uri: "/api/v1/notifications", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}
