import Foundation
import Logging
import ServiceLifecycle
import Sodium
import Wire

/// One running node: its data folder (locked), identity and database, and later its mesh
/// cores and transport. As a `Service` it runs until graceful shutdown, then closes the
/// database, so SIGTERM never leaves a half-written transaction behind.
public actor Node: Service {
    public nonisolated let nodeID: NodeID
    public nonisolated let identity: Ed25519KeyPair
    public nonisolated let folder: DataFolder
    public nonisolated let database: NodeDatabase
    /// True when this start made the identity (the node is new).
    public nonisolated let isNewIdentity: Bool
    private let logger: Logger

    /// Opens the data folder at `dataDirectory`: lock, identity (made on first start),
    /// database (checked and migrated). Throws a `NodeStartError` that says what to do.
    public init(dataDirectory: String, logger: Logger) throws(NodeStartError) {
        do {
            folder = try DataFolder(path: dataDirectory)
        } catch { throw .folder(error) }
        let loaded: (keyPair: Ed25519KeyPair, created: Bool)
        do {
            loaded = try IdentityFile.loadOrCreate(at: folder.file(IdentityFile.fileName))
        } catch { throw .identity(error) }
        identity = loaded.keyPair
        isNewIdentity = loaded.created
        nodeID = NodeID(publicKey: loaded.keyPair.publicKey)
        do {
            database = try NodeDatabase(path: folder.file(NodeDatabase.fileName).path)
            try database.claim(for: nodeID)
        } catch { throw .storage(error) }
        var logger = logger
        logger[metadataKey: "node"] = "\(nodeID.short)"
        self.logger = logger
        logger.info("node opened", metadata: [
            "data": "\(folder.url.path)", "identity": "\(loaded.created ? "created" : "loaded")",
        ])
    }

    /// Runs until the service group asks for graceful shutdown, then closes the database.
    public func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: closing the database")
        try database.close()
        logger.info("stopped cleanly")
    }
}

/// Why a node did not start. Wraps the specific error, whose message says what to do.
public enum NodeStartError: Error, CustomStringConvertible {
    case folder(DataFolderError)
    case identity(IdentityError)
    case storage(StorageError)

    public var description: String {
        switch self {
        case let .folder(e): e.description
        case let .identity(e): e.description
        case let .storage(e): e.description
        }
    }
}
