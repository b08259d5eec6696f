import ArgumentParser
import Foundation
import MeshNode
import Wire

/// `elohim id`: prints the node ID of a data folder. It only reads: a mistyped --data-dir is
/// an error, never a new identity.
struct IdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print the node ID of a data folder.",
        discussion: """
        The node ID is 33 symbols: 32 from the node's public key and one check symbol that \
        catches any one mistyped symbol. Give it to a peer that wants to pin this node \
        (elohim node run --peer NODEID@HOST:PORT).

        It only reads the identity file, so the node may be running. A folder without one is an \
        error: a node makes its identity when it first starts (elohim node run), or pass --create \
        to make one now.
        """
    )

    @OptionGroup var folder: DataFolderOptions

    @Flag(help: "Make the folder and its identity when there is none yet.")
    var create = false

    func run() throws {
        let (path, source) = DataFolderOptions.resolve(folder.given)
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let keyFile = url.appendingPathComponent(IdentityFile.fileName)
        do {
            if create {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                print(NodeID(publicKey: try IdentityFile.loadOrCreate(at: keyFile).keyPair.publicKey))
                return
            }
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw fail("there is no data folder at \(url.path) (\(source)): check the path, or start a node there "
                           + "(elohim node run --data-dir \(path)), or pass --create")
            }
            guard let pair = try IdentityFile.load(at: keyFile) else {
                throw fail("\(url.path) has no identity yet (\(source)): a node makes one when it first starts "
                           + "(elohim node run --data-dir \(path)), or pass --create")
            }
            print(NodeID(publicKey: pair.publicKey))
        } catch let error as IdentityError {
            throw fail(error)
        }
    }
}
