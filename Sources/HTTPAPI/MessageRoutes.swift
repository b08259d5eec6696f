import Foundation
import Hummingbird
import MeshNode
import Replicas
import Services
import Wire

/// `/api/v1/teams/{team}/messages` and `/channels`: a team's messages, in channels and in work
/// items' threads; posting, reading a page at a time, searching. New messages show on
/// `/api/v1/events` as replica ops with the action `post-message`.
struct MessageRoutes: Sendable {
    let service: MessageService

    struct PostRequest: Decodable {
        let channel: String?
        let item: String?
        let text: String
        let mentions: [String]?
        let attachments: [String]?
    }
    struct PersonRef: ResponseCodable, Equatable { let id: String; let name: String? }
    struct MessageView: ResponseCodable, Equatable {
        let id: String
        /// The channel; absent for a message in an item's thread.
        let channel: String?
        let item: String?
        let author: String
        let authorName: String?
        /// When the author's clock placed it (milliseconds since 1970).
        let atMs: UInt64
        let text: String
        let mentions: [PersonRef]
        let attachments: [String]
    }
    struct Messages: ResponseCodable { let messages: [MessageView]; let more: Bool }
    struct ChannelView: ResponseCodable { let name: String; let count: Int; let latestMs: UInt64 }
    struct Channels: ResponseCodable { let channels: [ChannelView] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let team = router.group("/api/v1/teams/{team}")
        team.post("/messages") { request, context -> EditedResponse<MessageView> in
            let body = try await request.decode(as: PostRequest.self, context: context)
            let place = try Self.place(channel: body.channel, item: body.item)
            let mentions = try (body.mentions ?? []).enumerated().map { k, text throws -> NodeID in
                do { return try NodeID(parsing: text) } catch {
                    throw APIError.badRequest("mentions[\(k)] must be a member's ID (a person's or a node's): \(error)")
                }
            }
            let attachments = try (body.attachments ?? []).enumerated().map { k, text in try APIRequestContext.opID(text, "attachments[\(k)]") }
            let teamID = try context.teamID()
            let (state, message) = try await run { () async throws(MessageError) in
                try await service.post(team: teamID, at: place, text: body.text, mentions: mentions, attachments: attachments)
            }
            return EditedResponse(status: .created, response: Self.view(message, in: state))
        }
        team.get("/messages") { request, context -> Messages in
            let q = request.uri.queryParameters
            let teamID = try context.teamID()
            let limit = try q["limit"].map { text throws -> Int in
                guard let n = Int(String(text)) else { throw APIError.badRequest("limit must be a number from 1 to \(MessageService.maxPage)") }
                return n
            } ?? MessageService.defaultPage
            let page: MessageService.Page
            if let query = q["q"] {
                guard q["channel"] == nil, q["item"] == nil, q["before"] == nil else {
                    throw APIError.badRequest("q searches the whole team: give it without channel, item or before")
                }
                page = try await run { () async throws(MessageError) in try await service.search(team: teamID, query: String(query), limit: limit) }
            } else {
                let place = try Self.place(channel: q["channel"].map(String.init) ?? (q["item"] == nil ? "general" : nil),
                                           item: q["item"].map(String.init))
                let before = try q["before"].map { try APIRequestContext.opID(String($0), "before") }
                page = try await run { () async throws(MessageError) in
                    try await service.page(team: teamID, at: place, before: before, limit: limit)
                }
            }
            return Messages(messages: page.messages.map { Self.view($0, in: page.state) }, more: page.more)
        }
        team.get("/channels") { _, context -> Channels in
            let teamID = try context.teamID()
            let state = try await run { () async throws(MessageError) in try await service.state(team: teamID) }
            return Channels(channels: state.channels.map { ChannelView(name: $0.name, count: $0.count, latestMs: $0.latest.at.wallMs) })
        }
    }

    /// A channel or an item, never both; neither is the channel `general`.
    static func place(channel: String?, item: String?) throws -> MessageService.Place {
        switch (channel, item) {
        case (_?, _?): throw APIError.badRequest("give a channel or an item, not both")
        case let (nil, item?): return .item(try APIRequestContext.opID(item, "item"))
        case let (channel, nil): return .channel(channel ?? "general")
        }
    }

    private func run<T>(_ body: () async throws(MessageError) -> T) async throws -> T {
        do { return try await body() } catch {
            switch error {
            case let .badInput(m): throw APIError.badRequest(m)
            case let .limit(v): throw APIError.limit(v)
            case let .notFound(m): throw APIError.notFound(m)
            case let .refused(reason, _): throw APIError(.forbidden, "refused_" + reason.replacingOccurrences(of: "-", with: "_"), error.description)
            }
        }
    }

    static func view(_ m: TeamMessage, in state: TeamState) -> MessageView {
        func name(_ node: NodeID) -> String? { state.members[node]?.person?.value.name }
        return MessageView(id: m.id.description, channel: m.item == nil ? m.channel : nil, item: m.item?.description,
                           author: m.author.description, authorName: name(m.author), atMs: m.at.wallMs, text: m.text,
                           mentions: m.mentions.map { PersonRef(id: $0.description, name: name($0)) },
                           attachments: m.attachments.map(\.description))
    }
}
