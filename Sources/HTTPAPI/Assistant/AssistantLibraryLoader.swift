import Assistant
import Foundation

/// Opens the node's document library once, on first use: loading all-MiniLM-L6-v2 reads 90 MB, so a
/// node that never uses the assistant never pays for it. A failure (the model not installed) is not
/// remembered, so installing the model makes the next request work without a restart.
actor AssistantLibraryLoader {
    let path: String
    let modelDirectory: String?
    private var library: DocumentLibrary?

    init(folder: String, modelDirectory: String? = nil) {
        path = (folder as NSString).appendingPathComponent("assistant")
        self.modelDirectory = modelDirectory
    }

    func open() throws -> DocumentLibrary {
        if let library { return library }
        let embedder = try MiniLMEmbedder(files: try MiniLMModelFiles.locate(given: modelDirectory))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let tokenizer = embedder.tokenizer
        let opened = try DocumentLibrary(path: path + "/library.sqlite", embedder: embedder, modelName: "all-MiniLM-L6-v2",
                                         chunker: TextChunker { tokenizer.pieceCount($0) })
        library = opened
        return opened
    }
}
