import ArgumentParser
import Foundation
import MeshCore

/// `elohim join OMNI-XXXX-XXXX`: pairs this node with the one that made the code.
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Pair this node with another by the code its user reads to you.",
        discussion: """
        The node finds the inviter on the LAN by the code's first group (announced over \
        mDNS), or at --via when mDNS cannot reach it (another subnet, or discovery off). Both \
        sides prove they know the code; then each trusts the other for good, and if the code \
        carries a team, this node becomes a member of it.

        Typing is forgiving: case does not matter, O reads as 0, I and L as 1, and the dashes \
        may be left out. A wrong code counts as a failed try on the inviter's side; after 5 \
        the code is burned.

        Examples:
          elohim join OMNI-7K3D-QX9M
          elohim join 7k3d-qx9m --via 192.168.1.20:7946
        """
    )

    @OptionGroup var api: APIOptions

    @Argument(help: "The code, OMNI-XXXX-XXXX.")
    var code: String

    @Option(help: ArgumentHelp("The inviter's mesh address, when mDNS cannot find it.", valueName: "host:port"))
    var via: String?

    func validate() throws {
        do { _ = try OmniCode(parsing: code) } catch { throw ValidationError(error.description) }
    }

    struct Body: Encodable { let code: String; let via: String? }
    struct Answer: Decodable {
        let inviter: String
        let address: String
        let team: String?
        let role: String?
        let message: String
    }

    func run() async throws {
        let answer: Answer
        let client = try api.client()
        do { answer = try await client.post("api/v1/p2p/join", Body(code: code, via: via), timeout: 90) } catch {
            throw fail(error)
        }
        var text = "Paired with \(answer.inviter) at \(answer.address).\n"
        if let team = answer.team { text += "Member of team \(team) as \(answer.role ?? "member").\n" }
        if !answer.message.isEmpty { text += "The inviter says: \(answer.message)\n" }
        FileHandleOutput.standardOutput(text)
    }
}
