import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `elohim account`: local accounts of a running node, made by its operator (the CLI on the
/// node's machine, which reads the data folder's api-token).
struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Create and list the node's local accounts (people who sign in to its page and API).",
        discussion: """
        The first account is the node's founder: it may do everything on this node. Make it with \
        `elohim account create NAME --founder` here, or with the setup link `elohim node run` \
        prints. After that the founder (or this command) makes more accounts.
        """,
        subcommands: [AccountCreateCommand.self, AccountListCommand.self]
    )
}

struct AccountCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an account (the founder with --founder).",
        discussion: """
        The password comes from --password-file (its first line), else $ELOHIM_PASSWORD, else it \
        is asked twice on the terminal. At least 10 characters: a passphrase works well.

        Examples:
          elohim account create ada --founder --name "Ada Lovelace"
          elohim account create ben --password-file /run/secrets/ben

        Every account is a person: a display name and keys of its own, sealed under the \
        password, with which they sign what they write in teams they are members of (add them \
        with elohim member add).
        """
    )

    @OptionGroup var api: APIOptions
    @Argument(help: "The username: 3 to 32 letters, digits, '.', '_' or '-'.") var username: String
    @Option(help: ArgumentHelp("The display name others see (1 to 64 bytes; the username when absent).", valueName: "name"))
    var name: String?
    @Flag(help: "Make the node's founder (only while the node has none).") var founder = false
    @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from this file's first line.", valueName: "path"))
    var passwordFile: String?

    struct Body: Encodable { let username: String; let password: String; let name: String? }
    struct Created: Decodable { let id: Int64; let username: String; let founder: Bool; let name: String?; let person: String? }
    struct SetupState: Decodable { let needed: Bool }

    func run() async throws {
        let client = try api.client()
        let state: SetupState
        do { state = try await client.get("api/v1/auth/setup") } catch { throw fail(error) }
        if founder && !state.needed { throw fail("this node has a founder already; drop --founder to make another account") }
        if !founder && state.needed {
            throw fail("this node has no founder yet: the first account is the founder, so pass --founder")
        }
        let password = try readPassword()
        let created: Created
        do { created = try await client.post("api/v1/auth/register", Body(username: username, password: password, name: name)) } catch { throw fail(error) }
        FileHandleOutput.standardOutput("Created account \(created.username) (id \(created.id))\(created.founder ? ", the node's founder" : "")"
                                        + (created.person.map { ", person \($0)" } ?? "") + ".\n")
    }

    private func readPassword() throws -> String {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw fail("cannot read --password-file \(passwordFile): check the path and its permissions")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        if let env = ProcessInfo.processInfo.environment["ELOHIM_PASSWORD"] { return env }
        guard isatty(0) == 1 else { throw fail("no password: give --password-file or $ELOHIM_PASSWORD (there is no terminal to ask on)") }
        guard let first = getpass("Password for \(username): ").map({ String(cString: $0) }),
              let second = getpass("Same password again: ").map({ String(cString: $0) }) else { throw fail("no password was typed") }
        guard first == second else { throw fail("the two passwords differ: nothing was created, try again") }
        return first
    }
}

struct AccountListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the node's accounts.")

    @OptionGroup var api: APIOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    struct Listed: Codable {
        let id: Int64; let username: String; let name: String?; let person: String?; let publicKey: String?; let founder: Bool; let createdAt: String
    }
    struct Listing: Codable { let accounts: [Listed] }

    func run() async throws {
        let client = try api.client()
        let listing: Listing
        do { listing = try await client.get("api/v1/accounts") } catch { throw fail(error) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandleOutput.standardOutput(String(decoding: try encoder.encode(listing), as: UTF8.self) + "\n")
            return
        }
        for a in listing.accounts {
            FileHandleOutput.standardOutput("\(a.id)\t\(a.username)\t\(a.name ?? a.username)\t\(a.person ?? "(person at next login)")"
                                            + "\(a.founder ? "\tfounder" : "")\tsince \(a.createdAt)\n")
        }
    }
}
