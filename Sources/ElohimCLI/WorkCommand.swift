import ArgumentParser
import Foundation

/// `elohim workflow define|ls` and `elohim item create|ls|claim|start|complete`: a team's work.
struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Define and list a team's workflows (stages, who works in each, SLAs).",
        discussion: """
        A workflow is a list of stages; an item moves through them (claim, start, complete). Each \
        stage names the roles that may claim its items: a role at or above one named may claim \
        (a stage for members is also for admins and the Super Admin); no roles means any member. \
        An SLA is the time an item may spend in the stage (a number and s, m, h or d; at most 30d).

        Examples:
          elohim workflow define Repairs --team "Water crew" --stage "Triage:member:4h" --stage "Fix:admin:2d" --stage Check
          elohim workflow ls --team "Water crew"
        """,
        subcommands: [WorkflowDefineCommand.self, WorkflowListCommand.self]
    )
}

struct WorkflowDefineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "define", abstract: "Define a workflow (needs Admin).")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Argument(help: "The workflow's name.") var name: String
    @Option(name: .customLong("stage"), help: ArgumentHelp(
        "A stage, in order: NAME[:ROLE,ROLE…[:SLA]], e.g. Triage:member:4h. Repeatable.", valueName: "stage"))
    var stages: [String] = []

    func validate() throws {
        guard !stages.isEmpty else { throw ValidationError("give at least one --stage NAME[:ROLES[:SLA]]") }
        for s in stages { _ = try Self.stage(s) }
    }

    static func stage(_ text: String) throws -> Lookup.Stage {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.first, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--stage '\(text)' has no name: write NAME[:ROLES[:SLA]]")
        }
        let roles = parts.count > 1 ? parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : []
        for r in roles where !["guest", "member", "admin", "super-admin"].contains(r) {
            throw ValidationError("--stage '\(text)': unknown role '\(r)'; use guest, member, admin or super-admin")
        }
        var sla: UInt64?
        if parts.count > 2, !parts[2].isEmpty {
            guard let seconds = Duration.seconds(parts[2]) else {
                throw ValidationError("--stage '\(text)': the SLA '\(parts[2])' needs a number and a unit: 30m, 4h, 2d")
            }
            sla = seconds
        }
        return Lookup.Stage(name: name, roles: roles, slaSeconds: sla)
    }

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team.team)
        struct Body: Encodable { let name: String; let stages: [Lookup.Stage] }
        let body = Body(name: name, stages: try stages.map(Self.stage))
        let w: Lookup.Workflow
        do { w = try await client.post("api/v1/teams/\(t.id)/workflows", body) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Defined \(w.name) (\(Listing.short(w.id))) in \(t.name): \(w.stages.map(\.name).joined(separator: " → ")).\n")
    }
}

struct WorkflowListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a team's workflows.")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team.team)
        let bytes: [UInt8]
        do { bytes = try await client.getBytes("api/v1/teams/\(t.id)/workflows") } catch { throw fail(error) }
        if json { Listing.json(bytes); return }
        let list = try JSONDecoder().decode(Lookup.Workflows.self, from: Data(bytes)).workflows
        if list.isEmpty { FileHandleOutput.standardOutput("No workflows in \(t.name) yet: elohim workflow define NAME --team … --stage …\n"); return }
        Listing.table(["ID", "NAME", "STAGES"], list.map { w in
            [Listing.short(w.id), w.name, w.stages.map { s in
                s.name + (s.roles.isEmpty ? "" : " (\(s.roles.joined(separator: ",")))") + (s.slaSeconds.map { " \(Duration.words($0))" } ?? "")
            }.joined(separator: " → ")]
        })
    }
}

struct ItemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item",
        abstract: "Create, list and work a team's items (claim, start, complete).",
        discussion: """
        An item starts queued in its workflow's first stage. Claiming it makes it yours (the stage \
        says which roles may claim); start and complete move it on, completing a stage queues it in \
        the next. Statuses: queued, claimed, in_progress, completed. SLA: ok, warning (80% of the \
        stage's time used), overdue.

        Examples:
          elohim item create "Pump 3 leaks" --team "Water crew" --workflow Repairs --priority 7
          elohim item ls --team "Water crew" --status queued
          elohim item claim 5f0c --team "Water crew"
        """,
        subcommands: [ItemCreateCommand.self, ItemListCommand.self, ItemStepCommand<Claim>.self, ItemStepCommand<Start>.self,
                      ItemStepCommand<Complete>.self]
    )
}

struct ItemCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an item in a workflow's first stage.")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Argument(help: "The item's title (1 to 1,000 bytes).") var title: String
    @Option(help: ArgumentHelp("The workflow: its name, ID or ID prefix.", valueName: "workflow")) var workflow: String
    @Option(help: "0 (lowest) to 9 (highest).") var priority: Int = 5

    func validate() throws {
        guard (0...9).contains(priority) else { throw ValidationError("--priority is 0 (lowest) to 9 (highest); got \(priority)") }
    }

    func run() async throws {
        let client = try api.client()
        let lookup = Lookup(client: client)
        let t = try await lookup.team(team.team)
        let w = try await lookup.workflow(workflow, team: t)
        struct Body: Encodable { let workflow: String; let title: String; let priority: Int }
        let item: Lookup.Item
        do { item = try await client.post("api/v1/teams/\(t.id)/items", Body(workflow: w.id, title: title, priority: priority)) }
        catch { throw fail(error) }
        FileHandleOutput.standardOutput("Created \(Listing.short(item.id)) \"\(item.title)\": \(item.status) in \(item.stageName).\n")
    }
}

struct ItemListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List items: highest priority first, then oldest.")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Option(help: ArgumentHelp("Only this workflow (name, ID or ID prefix).", valueName: "workflow")) var workflow: String?
    @Option(help: "Only items this role may claim: guest, member, admin or super-admin.") var role: String?
    @Option(help: "Only items with this status: queued, claimed, in_progress or completed.") var status: String?
    @Flag(help: "Print JSON instead of a table.") var json = false

    func validate() throws {
        if let role, !["guest", "member", "admin", "super-admin"].contains(role) {
            throw ValidationError("--role must be guest, member, admin or super-admin; got '\(role)'")
        }
        if let status, !["queued", "claimed", "in_progress", "completed"].contains(status) {
            throw ValidationError("--status must be queued, claimed, in_progress or completed; got '\(status)'")
        }
    }

    func run() async throws {
        let client = try api.client()
        let lookup = Lookup(client: client)
        let t = try await lookup.team(team.team)
        var query: [String] = []
        if let workflow { query.append("workflow=\(try await lookup.workflow(workflow, team: t).id)") }
        if let role { query.append("role=\(role)") }
        if let status { query.append("status=\(status)") }
        let bytes: [UInt8]
        do { bytes = try await client.getBytes("api/v1/teams/\(t.id)/items" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))) }
        catch { throw fail(error) }
        if json { Listing.json(bytes); return }
        let items = try JSONDecoder().decode(Lookup.Items.self, from: Data(bytes)).items
        if items.isEmpty { FileHandleOutput.standardOutput("No items.\n"); return }
        Listing.table(["ID", "P", "STATUS", "SLA", "STAGE", "ASSIGNEE", "TITLE"], items.map {
            [Listing.short($0.id), "\($0.priority)", $0.status, $0.sla, $0.stageName, $0.assignee.map(Listing.short) ?? "-", $0.title]
        })
    }
}

protocol ItemStep { static var name: String { get }; static var abstract: String { get } }
enum Claim: ItemStep { static let name = "claim"; static let abstract = "Claim a queued item: it becomes yours." }
enum Start: ItemStep { static let name = "start"; static let abstract = "Start an item you claimed." }
enum Complete: ItemStep { static let name = "complete"; static let abstract = "Complete an item: it moves to the next stage, or is done." }

struct ItemStepCommand<Step: ItemStep>: AsyncParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Step.name, abstract: Step.abstract) }
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Argument(help: "The item: its ID or an ID prefix (4+ digits).") var item: String

    func run() async throws {
        let client = try api.client()
        let lookup = Lookup(client: client)
        let t = try await lookup.team(team.team)
        let i = try await lookup.item(item, team: t)
        let after: Lookup.Item
        do { after = try await client.post("api/v1/teams/\(t.id)/items/\(i.id)/\(Step.name)", [String: String]()) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("\(Listing.short(after.id)) \"\(after.title)\": \(after.status) in \(after.stageName).\n")
    }
}

extension Duration {
    /// Seconds in "90s", "30m", "4h" or "2d"; nil without a unit or over 30 days.
    static func seconds(_ text: String) -> UInt64? {
        guard let unit = text.last, let n = UInt64(text.dropLast()), n > 0 else { return nil }
        let factor: UInt64 = switch unit { case "s": 1; case "m": 60; case "h": 3600; case "d": 86_400; default: 0 }
        guard factor > 0, n <= 30 * 86_400 / factor else { return nil }
        return n * factor
    }

    /// "4h", "2d", "90s" for a number of seconds.
    static func words(_ s: UInt64) -> String {
        s % 86_400 == 0 ? "\(s / 86_400)d" : s % 3600 == 0 ? "\(s / 3600)h" : s % 60 == 0 ? "\(s / 60)m" : "\(s)s"
    }
}
