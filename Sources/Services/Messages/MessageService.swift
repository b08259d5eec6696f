import Foundation
import MeshNode
import Replicas
import Wire

/// A team's messages over the node's replica: post to a channel or an item's thread, read a
/// channel or a thread a page at a time, list the channels, search the text.
///
/// Input is checked against `OpLimits` (the numbers every replica enforces) before the op is
/// written; who may post (members above guest) is the replica's rule, on every node.
public struct MessageService: Sendable {
    let node: Node

    public init(node: Node) { self.node = node }

    /// Where messages are read or written: a channel, or a work item's thread.
    public enum Place: Sendable, Equatable {
        case channel(String)
        case item(OpID)
    }

    /// A page of messages, oldest first, and whether older ones are left.
    public struct Page: Sendable {
        public let state: TeamState
        public let messages: [TeamMessage]
        public let more: Bool
    }

    /// The most one page holds, and what a page holds when the caller does not say.
    public static let maxPage = 200
    public static let defaultPage = 50
    /// A search: at most 200 bytes and 8 words, so one request cannot make the node scan for long.
    public static let maxQueryBytes = 200
    public static let maxQueryWords = 8

    /// Posts `text` at `place`; returns the team's state after it, with the message.
    public func post(team: TeamID, at place: Place, text: String, mentions: [NodeID] = [], attachments: [BlobID] = [])
        async throws(MessageError) -> (state: TeamState, message: TeamMessage) {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let content = switch place {
        case let .channel(name): MessageContent(channel: name, text: text, mentions: mentions, attachments: attachments)
        case let .item(id): MessageContent(item: id, text: text, mentions: mentions, attachments: attachments)
        }
        do { try OpValidator.validate(.postMessage(content)) } catch { throw .limit(error) }
        let before = try await state(team: team)
        if case let .item(id) = place, before.items[id] == nil { throw .notFound("no work item \(id) in team \(team.short)") }
        if let stranger = mentions.first(where: { before.role(of: $0) == nil }) {
            throw .badInput("mentions: \(stranger) is not a member of this team")
        }
        let op: SignedOp
        switch await node.write(.postMessage(content), team: team) {
        case let .applied(signed): op = signed
        case let .refused(reason, why): throw .refused(reason.rawValue, why)
        case let .invalid(violation): throw .limit(violation)
        case let .noSuchTeam(t): throw .notFound("no team \(t) on this node")
        case .conflict: throw .refused("conflict", "a message does not conflict")  // not produced for messages
        }
        let after = try await state(team: team)
        guard let message = after.messages.last(where: { $0.id == op.id }) else { throw .notFound("the message was not kept") }
        return (after, message)
    }

    /// The messages at `place`, oldest first: the newest `limit` of those older than `before`
    /// (a message ID from an earlier page), or the newest `limit` when `before` is nil.
    public func page(team: TeamID, at place: Place, before: OpID? = nil, limit: Int = defaultPage) async throws(MessageError) -> Page {
        guard (1...Self.maxPage).contains(limit) else { throw .badInput("limit must be 1 to \(Self.maxPage); it is \(limit)") }
        if case let .channel(name) = place {
            do { try OpValidator.channel(name) } catch { throw .limit(error) }
        }
        let state = try await state(team: team)
        var all: [TeamMessage]
        switch place {
        case let .channel(name): all = state.messages(inChannel: name)
        case let .item(id):
            guard state.items[id] != nil else { throw .notFound("no work item \(id) in team \(team.short)") }
            all = state.messages(onItem: id)
        }
        if let before {
            guard let index = all.firstIndex(where: { $0.id == before }) else { throw .notFound("no message \(before) here") }
            all = Array(all[..<index])
        }
        return Page(state: state, messages: Array(all.suffix(limit)), more: all.count > limit)
    }

    /// Messages anywhere in the team whose text holds every word of `query` (ignoring case and
    /// accents), newest first, at most `limit`.
    public func search(team: TeamID, query: String, limit: Int = defaultPage) async throws(MessageError) -> Page {
        guard (1...Self.maxPage).contains(limit) else { throw .badInput("limit must be 1 to \(Self.maxPage); it is \(limit)") }
        let words = try Self.words(of: query)
        let state = try await state(team: team)
        var found: [TeamMessage] = []
        var more = false
        for message in state.messages.reversed() {
            let text = Self.fold(message.text)
            guard words.allSatisfy({ text.contains($0) }) else { continue }
            if found.count == limit { more = true; break }
            found.append(message)
        }
        return Page(state: state, messages: found, more: more)
    }

    /// The search words of `query`, folded; refuses an empty or oversized query.
    static func words(of query: String) throws(MessageError) -> [String] {
        guard query.utf8.count <= maxQueryBytes else {
            throw .badInput("a search is at most \(maxQueryBytes) bytes; this one is \(query.utf8.count)")
        }
        let words = fold(query).split(whereSeparator: \.isWhitespace).map(String.init)
        guard !words.isEmpty else { throw .badInput("a search needs at least one word") }
        guard words.count <= maxQueryWords else { throw .badInput("a search is at most \(maxQueryWords) words; this one has \(words.count)") }
        return words
    }

    /// Case and accents folded away, so "Pumpe" finds "pumpe" and "cafe" finds "café".
    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    /// The team as this node holds it.
    public func state(team: TeamID) async throws(MessageError) -> TeamState {
        guard let state = await node.team(team) else { throw .notFound("no team \(team) on this node") }
        return state
    }
}

/// Why a message request failed.
public enum MessageError: Error, Equatable, CustomStringConvertible {
    case badInput(String)
    /// A field breaks one of the limits every replica enforces.
    case limit(OpLimitViolation)
    case notFound(String)
    /// The team's rules refuse it (a guest, a non-member): the replica's reason and detail.
    case refused(String, String)

    public var description: String {
        switch self {
        case let .badInput(m), let .notFound(m): m
        case let .limit(v): v.description
        case let .refused(_, why): "refused by the team's rules: \(why)"
        }
    }
}
