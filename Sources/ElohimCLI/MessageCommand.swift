import ArgumentParser
import Foundation

/// `elohim message send|ls|channels`: a team's messages, in channels and in work items' threads.
struct MessageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Send and read a team's messages (channels, and a thread per work item).",
        discussion: """
        A message goes to a channel (general unless you name one: lowercase letters, digits, - and \
        _, up to 32 bytes; a channel exists once it has a message) or to the thread of a work item. \
        It reaches every member's node, also ones that are offline now, when they next meet the \
        mesh. Members and Admins send; guests only read. Text is at most 8,192 bytes.

        Examples:
          elohim message send "Pump 3 is down again" --team "Water crew" --mention "Bo Chen"
          elohim message send "Fuel at noon" --team "Water crew" --channel logistics
          elohim message send "Bring the 12 mm wrench" --team "Water crew" --item 5f0c
          echo "A longer report" | elohim message send - --team "Water crew"
          elohim message ls --team "Water crew" --channel logistics --limit 20
          elohim message ls --team "Water crew" --search "pump 3"
          elohim message channels --team "Water crew"
        """,
        subcommands: [MessageSendCommand.self, MessageListCommand.self, MessageChannelsCommand.self]
    )
}

/// Where a message goes or is read from: `--channel` or `--item`, never both.
struct MessagePlaceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The channel (default general).", valueName: "channel")) var channel: String?
    @Option(help: ArgumentHelp("A work item's thread instead of a channel: its ID or an ID prefix.", valueName: "item")) var item: String?

    func validate() throws {
        if channel != nil, item != nil { throw ValidationError("give --channel or --item, not both") }
        if let channel, !Self.isChannelName(channel) {
            throw ValidationError("--channel '\(channel)': a channel's name is 1 to 32 of a-z, 0-9, - and _, starting with a letter or digit")
        }
    }

    /// The rule the node applies (OpValidator.channel), checked here so a typo costs no request.
    static func isChannelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (1...32).contains(name.utf8.count), first != UInt8(ascii: "-"), first != UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// `channel=…` or `item=…` for a query, with the item looked up.
    func query(_ lookup: Lookup, team: Lookup.Team) async throws -> (key: String, value: String) {
        if let item { return ("item", try await lookup.item(item, team: team).id) }
        return ("channel", channel ?? "general")
    }
}

/// A message as the node shows it.
struct MessageView: Decodable {
    struct Ref: Decodable { let id: String; let name: String? }
    let id: String; let channel: String?; let item: String?; let author: String; let authorName: String?
    let atMs: UInt64; let text: String; let mentions: [Ref]; let attachments: [String]
}

struct MessageSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Send a message (as you, when you are signed in as a person).")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @OptionGroup var place: MessagePlaceOptions
    @Argument(help: "The text (at most 8,192 bytes); - reads it from standard input.") var text: String
    @Option(name: .customLong("mention"), help: ArgumentHelp("A member to call on: their name or ID (or a prefix of 4+). Repeatable.", valueName: "member"))
    var mentions: [String] = []

    func validate() throws {
        if text != "-", text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("the message is empty") }
        if text.utf8.count > 8192 { throw ValidationError("the message is \(text.utf8.count) bytes; at most 8,192") }
    }

    func run() async throws {
        var body = text
        if text == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard data.count <= 8192 else { throw fail("the message on standard input is \(data.count) bytes; at most 8,192") }
            guard let read = String(data: data, encoding: .utf8) else { throw fail("the message on standard input is not UTF-8 text") }
            body = read
        }
        let client = try api.client()
        let lookup = Lookup(client: client)
        let t = try await lookup.team(team.team)
        let ids = try mentions.map { try Self.member($0, in: t) }
        let (key, value) = try await place.query(lookup, team: t)
        struct Body: Encodable { let channel: String?; let item: String?; let text: String; let mentions: [String] }
        let sent: MessageView
        do {
            sent = try await client.post("api/v1/teams/\(t.id)/messages",
                                         Body(channel: key == "channel" ? value : nil, item: key == "item" ? value : nil, text: body, mentions: ids))
        } catch { throw fail(error) }
        let whereTo = sent.channel.map { "#\($0)" } ?? "the thread of item \(Listing.short(sent.item ?? ""))"
        FileHandleOutput.standardOutput("Sent to \(whereTo) in \(t.name) (\(Listing.short(sent.id))).\n")
    }

    /// The member `reference` names: their ID, a unique ID prefix of 4+ symbols, or their name (any case).
    static func member(_ reference: String, in team: Lookup.Team) throws -> String {
        let ids = team.members.map { $0.person ?? $0.nodeId }
        if ids.contains(reference) { return reference }
        let byName = team.members.filter { ($0.name ?? "").lowercased() == reference.lowercased() }
        let matches = byName.isEmpty && reference.count >= 4 ? team.members.filter { ($0.person ?? $0.nodeId).hasPrefix(reference.uppercased()) } : byName
        guard matches.count == 1, let only = matches.first else {
            throw fail(matches.isEmpty
                ? "--mention '\(reference)': no member of \(team.name) has that name or ID; `elohim member ls --team \(Listing.short(team.id))` lists them"
                : "--mention '\(reference)' names \(matches.count) members: give their ID")
        }
        return only.person ?? only.nodeId
    }
}

struct MessageListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "Read a channel or a thread (oldest first), or search the team.")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @OptionGroup var place: MessagePlaceOptions
    @Option(help: ArgumentHelp("Messages anywhere in the team holding every word (case and accents ignored), newest first.", valueName: "words"))
    var search: String?
    @Option(help: "How many: the newest N (1 to 200).") var limit = 50
    @Flag(help: "Print JSON instead of lines.") var json = false

    func validate() throws {
        guard (1...200).contains(limit) else { throw ValidationError("--limit is 1 to 200; got \(limit)") }
        if search != nil, place.channel != nil || place.item != nil { throw ValidationError("--search looks in the whole team: leave out --channel and --item") }
    }

    func run() async throws {
        let client = try api.client()
        let lookup = Lookup(client: client)
        let t = try await lookup.team(team.team)
        var query = "limit=\(limit)"
        if let search {
            query += "&q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        } else {
            let (key, value) = try await place.query(lookup, team: t)
            query += "&\(key)=\(value)"
        }
        struct Page: Decodable { let messages: [MessageView]; let more: Bool }
        let bytes: [UInt8]
        do { bytes = try await client.getBytes("api/v1/teams/\(t.id)/messages?\(query)") } catch { throw fail(error) }
        if json { Listing.json(bytes); return }
        let page = try JSONDecoder().decode(Page.self, from: Data(bytes))
        if page.messages.isEmpty {
            FileHandleOutput.standardOutput(search == nil ? "No messages here yet: elohim message send TEXT --team …\n" : "No message holds every word of '\(search!)'.\n")
            return
        }
        if page.more { FileHandleOutput.standardOutput("(older messages left out: --limit shows more)\n") }
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm"
        for m in page.messages {
            let when = time.string(from: Date(timeIntervalSince1970: Double(m.atMs) / 1000))
            let whereTo = search == nil ? "" : (m.channel.map { " #\($0)" } ?? " item \(Listing.short(m.item ?? ""))")
            FileHandleOutput.standardOutput("\(when)\(whereTo)  \(m.authorName ?? Listing.short(m.author)): \(m.text)\n")
        }
    }
}

struct MessageChannelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "channels", abstract: "List the team's channels with their message counts.")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team.team)
        let bytes: [UInt8]
        do { bytes = try await client.getBytes("api/v1/teams/\(t.id)/channels") } catch { throw fail(error) }
        if json { Listing.json(bytes); return }
        struct Channel: Decodable { let name: String; let count: Int; let latestMs: UInt64 }
        struct Channels: Decodable { let channels: [Channel] }
        let list = try JSONDecoder().decode(Channels.self, from: Data(bytes)).channels
        if list.isEmpty { FileHandleOutput.standardOutput("No messages in \(t.name) yet: elohim message send TEXT --team …\n"); return }
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm"
        Listing.table(["CHANNEL", "MESSAGES", "LATEST"], list.map { ["#" + $0.name, "\($0.count)", time.string(from: Date(timeIntervalSince1970: Double($0.latestMs) / 1000))] })
    }
}
