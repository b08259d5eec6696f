import ArgumentParser
import Foundation

/// `elohim team create|ls|show` and `elohim member ls|role|rm`: a node's teams and who is in them.
struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team",
        abstract: "Create and list teams (the groups that share workflows and a vault).",
        discussion: """
        A team is made on one node, whose owner becomes its Super Admin; others join with a code \
        (elohim invite --team TEAM, then elohim join CODE on their device). Teams are named on the \
        command line by name, by ID, or by the first digits of their ID.

        Examples:
          elohim team create "Water crew"
          elohim team ls
          elohim team show "Water crew"
        """,
        subcommands: [TeamCreateCommand.self, TeamListCommand.self, TeamShowCommand.self]
    )
}

struct TeamCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a team; this node becomes its Super Admin.")
    @OptionGroup var api: APIOptions
    @Argument(help: "The team's name (1 to 200 bytes).") var name: String
    @Flag(help: "Print the team as JSON.") var json = false

    func run() async throws {
        let client = try api.client()
        struct Body: Encodable { let name: String }
        let bytes: [UInt8]
        do { bytes = try await client.postRaw("api/v1/teams", Body(name: name)) } catch { throw fail(error) }
        if json { Listing.json(bytes); return }
        let team = try JSONDecoder().decode(Lookup.Team.self, from: Data(bytes))
        FileHandleOutput.standardOutput("Created team \(team.name) (\(team.id)).\nInvite a device to it: elohim invite --team \(Listing.short(team.id))\n")
    }
}

struct TeamListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the teams this node holds.")
    @OptionGroup var api: APIOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let client = try api.client()
        let bytes: [UInt8]
        do { bytes = try await client.getBytes("api/v1/teams") } catch { throw fail(error) }
        if json { Listing.json(bytes); return }
        let teams = try JSONDecoder().decode(Lookup.Teams.self, from: Data(bytes)).teams
        if teams.isEmpty { FileHandleOutput.standardOutput("No teams on this node yet: make one with elohim team create NAME\n"); return }
        Listing.table(["ID", "NAME", "MEMBERS"], teams.map { [Listing.short($0.id), $0.name, "\($0.members.count)"] })
    }
}

struct TeamShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a team and its members.")
    @OptionGroup var api: APIOptions
    @Argument(help: "The team: its name, ID or ID prefix.") var team: String
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team)
        if json {
            do { Listing.json(try await client.getBytes("api/v1/teams/\(t.id)")) } catch { throw fail(error) }
            return
        }
        FileHandleOutput.standardOutput("\(t.name)\n  id:      \(t.id)\n  creator: \(t.creator)\n\n")
        Listing.table(["MEMBER", "ROLE"], t.members.map { [$0.name.map { "\($0) (\(Listing.short($0)))" } ?? $0.nodeId, $0.role] })
    }
}

struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member",
        abstract: "List a team's members, add a person, change a member's role, remove a member.",
        discussion: """
        Roles: guest (reads only), member, admin (manages members and workflows). The Super Admin \
        role is held by the team's creator and never given. Devices join by code (elohim invite); \
        people are added by an Admin: a person of this node by their username or person ID, a \
        person of another node by their person ID with --public-key and --name. A person who is \
        a member signs what they write themself; removing them is final until an Admin adds \
        them again.

        Examples:
          elohim member ls --team "Water crew"
          elohim member add ben --role member --team crew
          elohim member role N9AHWXR8P7JHJ0VAGG5PAP92NC13EWBJ1 admin --team crew
          elohim member rm N9AHWXR8P7JHJ0VAGG5PAP92NC13EWBJ1 --team crew
        """,
        subcommands: [MemberListCommand.self, MemberAddCommand.self, MemberRoleCommand.self, MemberRemoveCommand.self]
    )
}

struct TeamOption: ParsableArguments {
    @Option(help: ArgumentHelp("The team: its name, ID or ID prefix.", valueName: "team")) var team: String
}

struct MemberListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a team's members and their roles.")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let t = try await Lookup(client: try api.client()).team(team.team)
        if json {
            let data = try JSONSerialization.data(withJSONObject: t.members.map {
                ["nodeId": $0.nodeId, "role": $0.role, "name": $0.name ?? "", "kind": $0.kind ?? "node"]
            })
            Listing.json([UInt8](data))
            return
        }
        Listing.table(["MEMBER", "KIND", "NAME", "ROLE"], t.members.map {
            [$0.nodeId, $0.kind ?? "node", ($0.name ?? "").isEmpty ? "-" : $0.name!, $0.role]
        })
    }
}

struct MemberAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a person to a team (needs Admin).",
        discussion: """
        PERSON is a username of this node (elohim account ls) or a person ID. A person of \
        another node needs --public-key (their 64 hex digits, from their node's elohim account ls \
        --json) and --name.
        """)
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Argument(help: "A username of this node, or a person ID.") var person: String
    @Option(help: "guest, member or admin.") var role: String
    @Option(help: ArgumentHelp("A person of another node: their display name.", valueName: "name")) var name: String?
    @Option(name: .customLong("public-key"), help: ArgumentHelp("A person of another node: their public key, 64 hex digits.", valueName: "hex"))
    var publicKey: String?

    func validate() throws {
        guard ["guest", "member", "admin"].contains(role) else {
            throw ValidationError("the role must be guest, member or admin; got '\(role)' (the Super Admin role is held by the team's creator, never given)")
        }
    }

    struct Accounts: Decodable { struct Account: Decodable { let username: String; let person: String? }; let accounts: [Account] }
    struct Body: Encodable { let person: String; let role: String; let name: String?; let publicKey: String? }

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team.team)
        var id = person
        // A username of this node names its person (one that never logged in since persons
        // exist has none yet: it must sign in once).
        if let accounts: Accounts = try? await client.get("api/v1/accounts"),
           let account = accounts.accounts.first(where: { $0.username.lowercased() == person.lowercased() }) {
            guard let p = account.person else {
                throw fail("\(account.username) has no person yet: they must sign in once (their keys are made with their password)")
            }
            id = p
        }
        let answer: Lookup.Team
        do { answer = try await client.post("api/v1/teams/\(t.id)/members", Body(person: id, role: role, name: name, publicKey: publicKey)) }
        catch { throw fail(error) }
        let shown = answer.members.first { $0.nodeId == id }?.name ?? id
        FileHandleOutput.standardOutput("\(shown) (\(id)) is now \(role) in \(t.name).\n")
    }
}

struct MemberRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "Give a member another role (needs Admin).")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Argument(help: "The member's ID (a person's or a node's).") var member: String
    @Argument(help: "guest, member or admin.") var role: String

    func validate() throws {
        guard ["guest", "member", "admin"].contains(role) else {
            throw ValidationError("the role must be guest, member or admin; got '\(role)' (the Super Admin role is held by the team's creator, never given)")
        }
    }

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team.team)
        struct Body: Encodable { let role: String }
        do { _ = try await client.put("api/v1/teams/\(t.id)/members/\(member)", Body(role: role), as: Lookup.Team.self) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("\(member) is now \(role) in \(t.name).\n")
    }
}

struct MemberRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a member from a team (needs Admin).")
    @OptionGroup var api: APIOptions
    @OptionGroup var team: TeamOption
    @Argument(help: "The member's ID (a person's or a node's).") var member: String

    func run() async throws {
        let client = try api.client()
        let t = try await Lookup(client: client).team(team.team)
        do { _ = try await client.delete("api/v1/teams/\(t.id)/members/\(member)", as: Lookup.Team.self) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("\(member) is no longer a member of \(t.name).\n")
    }
}
