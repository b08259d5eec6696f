import ArgumentParser
import Foundation
import MeshNode
import Wire

/// `elohim id`: prints the node ID of a data folder, making the identity on first use.
struct IdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print this node's ID (made on first use).",
        discussion: """
        The node ID is 33 symbols: 32 from the node's public key and one check symbol that
        catches any one mistyped symbol. Give it to a peer that wants to pin this node:
          elohim node run --peer NODEID@HOST:PORT
        It does not need the node to be stopped; it only reads the identity file.
        """
    )

    @OptionGroup var folder: DataFolderOptions

    func run() throws {
        let url = URL(fileURLWithPath: folder.dataDirectory).standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let (pair, _) = try IdentityFile.loadOrCreate(at: url.appendingPathComponent(IdentityFile.fileName))
            print(NodeID(publicKey: pair.publicKey))
        } catch let error as IdentityError {
            throw fail(error)
        } catch {
            throw fail("cannot use data folder \(url.path): \(error.localizedDescription)")
        }
    }
}
