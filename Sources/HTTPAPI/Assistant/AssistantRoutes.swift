import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Services

/// `/api/v1/assistant`: the caller's documents and search over them (issue 20). Each caller has
/// a library of its own (the operator as an account of its own); a search sees only the caller's
/// documents.
///
/// Limits: a document is at most 20 MiB (413 past it) and its text 8 MiB (the rest is not indexed,
/// and `truncated` says so); a caller holds at most 10,000 documents; a search is at most 4096 bytes
/// and returns 1 to 50 results.
struct AssistantRoutes: Sendable {
    let loader: AssistantLibraryLoader

    init(folder: String, modelDirectory: String? = nil) {
        loader = AssistantLibraryLoader(folder: folder, modelDirectory: modelDirectory)
    }

    struct DocumentList: ResponseEncodable { let documents: [StoredDocument] }
    struct AddedView: ResponseEncodable { let document: StoredDocument; let alreadyHeld: Bool }
    struct RemovedView: ResponseEncodable { let removed: Int64 }
    struct SearchRequest: Decodable { let query: String; let top: Int? }
    struct SearchView: ResponseEncodable { let results: [SearchHit] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let assistant = router.group("/api/v1/assistant")
        assistant.post("/documents") { request, context -> EditedResponse<AddedView> in
            let owner = try DataRoutes.account(context)
            guard let name = request.uri.queryParameters["name"].map(String.init) else {
                throw APIError.badRequest("name the document: POST /api/v1/assistant/documents?name=manual.pdf (its extension says how to read it: \(DocumentKind.extensions))")
            }
            let bytes = try await Self.collect(request.body, limit: DocumentExtractor().maxBytes)
            let added = try await Self.mapped { try await loader.open().add(owner: owner, name: name, bytes: bytes) }
            return EditedResponse(status: added.alreadyHeld ? .ok : .created, response: AddedView(document: added.document, alreadyHeld: added.alreadyHeld))
        }
        assistant.get("/documents") { _, context -> DocumentList in
            let owner = try DataRoutes.account(context)
            return DocumentList(documents: try await Self.mapped { try await loader.open().documents(owner: owner) })
        }
        assistant.delete("/documents/{id}") { _, context -> RemovedView in
            let owner = try DataRoutes.account(context)
            guard let id = Int64(try context.parameters.require("id")) else {
                throw APIError.badRequest("a document's id is a number, as GET /api/v1/assistant/documents lists them")
            }
            try await Self.mapped { try await loader.open().remove(owner: owner, id: id) }
            return RemovedView(removed: id)
        }
        assistant.post("/search") { request, context -> SearchView in
            let owner = try DataRoutes.account(context)
            let body = try await request.decode(as: SearchRequest.self, context: context)
            let results = try await Self.mapped { try await loader.open().search(owner: owner, query: body.query, top: body.top ?? 5) }
            return SearchView(results: results)
        }
    }

    /// The request body, refused (413) past `limit` bytes and (400) when empty.
    static func collect(_ body: RequestBody, limit: Int) async throws -> Data {
        var data = Data()
        for try await part in body {
            guard data.count + part.readableBytes <= limit else {
                throw APIError(.contentTooLarge, "too_large", "a document is at most \(limit >> 20) MiB: split it")
            }
            data.append(contentsOf: part.readableBytesView)
        }
        guard !data.isEmpty else { throw APIError.badRequest("the document is empty: send the file as the request body") }
        return data
    }

    /// Runs `body`, turning the assistant's errors into the API's.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as LibraryError {
            switch e {
            case .noSuchDocument: throw APIError(.notFound, "no_such_document", e.description)
            case .otherModel: throw APIError(.serviceUnavailable, "library_other_model", e.description)
            case .tooManyDocuments: throw APIError(.contentTooLarge, "too_many_documents", e.description)
            default: throw APIError(.badRequest, "bad_request", e.description)
            }
        } catch let e as ExtractionError {
            switch e {
            case .pdftotextMissing: throw APIError(.serviceUnavailable, "pdftotext_missing", e.description)
            case .tooLarge: throw APIError(.contentTooLarge, "too_large", e.description)
            default: throw APIError(.badRequest, "unreadable_document", e.description)
            }
        } catch let e as ModelFilesError {
            throw APIError(.serviceUnavailable, "model_missing", e.description)
        }
    }
}
