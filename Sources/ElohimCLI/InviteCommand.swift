import ArgumentParser
import HTTPAPI
import Foundation

/// `elohim invite`: hands out a pairing code, lists codes, revokes one.
struct InviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Make a pairing code for another device (and list or revoke codes).",
        discussion: """
        A code looks like OMNI-7K3D-QX9M. Read it to the person on the other device; they \
        run `elohim join OMNI-7K3D-QX9M`. Their node finds yours on the LAN by the code's first \
        group, which yours announces over mDNS, and both prove they know the whole code \
        (CPace) before either trusts the other. Nothing about the code can be tested offline.

        A code works once, expires after 7 days (--expires), and is burned after 5 tries \
        that fail. With --team it also makes the joiner a member of that team (you must be \
        an Admin of it).

        The node must be running (`elohim node run`); these commands talk to its HTTP API.
        """,
        subcommands: [InviteCreateCommand.self, InviteListCommand.self, InviteRevokeCommand.self],
        defaultSubcommand: InviteCreateCommand.self
    )
}

struct InviteCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a code and wait until a device uses it (the default).",
        discussion: """
        Examples:
          elohim invite
          elohim invite --team 5f0c…e1 --role member --expires 2h
          elohim invite --no-wait
        """
    )

    @OptionGroup var api: APIOptions

    @Option(help: ArgumentHelp("Also add the joiner to this team: its name, ID or ID prefix.", valueName: "team"))
    var team: String?

    @Option(help: "The joiner's role in --team: guest, member or admin.")
    var role: String?

    @Option(help: ArgumentHelp("How long the code stays valid: a number and s, m, h or d (at most 30d).", valueName: "lifetime"))
    var expires: String = "7d"

    @Flag(name: .customLong("no-wait"), help: "Print the code and exit instead of waiting for it to be used.")
    var noWait = false

    struct Body: Encodable { let team: String?; let role: String?; let expires: String }

    func validate() throws {
        if let role {
            guard ["guest", "member", "admin"].contains(role) else {
                throw ValidationError("--role must be guest, member or admin; got '\(role)' (the Super Admin role is held by a team's creator, never given)")
            }
            guard team != nil else { throw ValidationError("--role is a role in a team: give --team too") }
        }
        guard let last = expires.last, "smhd".contains(last), let n = Int(expires.dropLast()), n > 0 else {
            throw ValidationError("--expires takes a number and a unit (s, m, h or d), e.g. 30m, 2h or 7d; got '\(expires)'")
        }
    }

    func run() async throws {
        let client = try api.client()
        var teamID: String?
        if let team { teamID = try await Lookup(client: client).team(team).id }
        let invite: InviteView
        do { invite = try await client.post("api/v1/p2p/invites", Body(team: teamID, role: role, expires: expires)) } catch {
            throw fail(error)
        }
        FileHandleOutput.standardOutput("""
            \(invite.code ?? "?")

            Read this code to the other device's user; they run: elohim join \(invite.code ?? "")
            Valid until \(invite.expiresAt) (invite \(invite.id))\(invite.team.map { ", joins team \($0.prefix(12))… as \(invite.role ?? "member")" } ?? "").

            """)
        if noWait { return }
        FileHandleOutput.standardOutput("Waiting for a device to use it (Ctrl-C stops waiting; the code stays valid)…\n")
        while true {
            try await Task.sleep(for: .seconds(1))
            let now: InviteView
            do { now = try await client.get("api/v1/p2p/invites/\(invite.id)") } catch { throw fail(error) }
            switch now.status {
            case "open": continue
            case "used":
                FileHandleOutput.standardOutput("Paired with \(now.usedBy ?? "?")\(now.team != nil ? " (added to the team)" : "").\n")
                return
            default:
                throw fail("the code is \(now.status) after \(now.failures) failed attempt(s); make a new one with `elohim invite`")
            }
        }
    }
}

struct InviteListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the codes this node handed out, newest first.")

    @OptionGroup var api: APIOptions

    func run() async throws {
        let list: InviteList
        let client = try api.client()
        do { list = try await client.get("api/v1/p2p/invites") } catch { throw fail(error) }
        if list.invites.isEmpty { return FileHandleOutput.standardOutput("No codes yet: make one with `elohim invite`.\n") }
        var out = "ID        TAG   STATUS   TRIES  EXPIRES                   USED BY\n"
        for i in list.invites {
            out += "\(i.id)  \(i.tag)  \(i.status.padding(toLength: 8, withPad: " ", startingAt: 0)) "
                + "\(String(i.attempts).padding(toLength: 6, withPad: " ", startingAt: 0)) \(i.expiresAt.padding(toLength: 25, withPad: " ", startingAt: 0)) "
                + "\(i.usedBy ?? "-")\n"
        }
        FileHandleOutput.standardOutput(out)
    }
}

struct InviteRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an open code, by its invite ID (see `elohim invite list`).")

    @OptionGroup var api: APIOptions

    @Argument(help: "The invite ID.")
    var id: String

    func run() async throws {
        let revoked: InviteView
        let client = try api.client()
        do { revoked = try await client.delete("api/v1/p2p/invites/\(id)") } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Revoked invite \(revoked.id) (code \(revoked.tag)-…).\n")
    }
}
