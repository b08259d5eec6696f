import Assistant
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Services

/// `/api/v1/assistant/chats` and `/models`: chats with a model on an Ollama server, grounded in the
/// caller's documents (issue 20). Each caller has its own chats.
///
/// A question (`POST …/chats/{id}/messages`) is answered as server-sent events over the POST's
/// response (`text/event-stream`): `sources` (the numbered passages sent), `token` (each piece of
/// the answer as the model writes it), then `done` (the stored answer) or `error`. Errors found
/// before the model is asked (no such chat, no model server, an unknown model, a bad question)
/// are ordinary JSON errors with their status.
struct AssistantChatRoutes: Sendable {
    let chats: ChatService

    init(folder: String, library: AssistantLibraryLoader, ollama: OllamaClient, defaultModel: String?) throws {
        let path = (folder as NSString).appendingPathComponent("assistant")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chats = ChatService(store: try ChatStore(path: path + "/chats.sqlite"), library: { try await library.open() },
                            client: ollama, defaultModel: defaultModel)
    }

    struct NewChat: Decodable { let title: String?; let model: String?; let system: String? }
    struct Question: Decodable { let content: String; let model: String?; let top: Int? }
    struct ChatList: ResponseEncodable { let chats: [ChatInfo] }
    struct ChatView: ResponseEncodable { let chat: ChatInfo; let messages: [StoredMessage] }
    struct Deleted: ResponseEncodable { let deleted: Int64 }
    struct ModelView: Codable { let name: String; let size: Int64; let family: String?; let parameterSize: String?; let modifiedAt: String? }
    struct ModelList: ResponseEncodable { let server: String; let models: [ModelView] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let assistant = router.group("/api/v1/assistant")
        assistant.get("/models") { _, context -> ModelList in
            _ = try DataRoutes.account(context)
            let models = try await Self.mapped { try await chats.client.listModels() }
            return ModelList(server: chats.client.baseURL, models: models.map {
                ModelView(name: $0.name, size: $0.size, family: $0.details?.family, parameterSize: $0.details?.parameterSize, modifiedAt: $0.modifiedAt)
            })
        }
        assistant.post("/chats") { request, context -> EditedResponse<ChatInfo> in
            let owner = try DataRoutes.account(context)
            let body = try await request.decode(as: NewChat.self, context: context)
            let title = body.title ?? "New chat"
            guard !title.isEmpty, title.utf8.count <= 200, !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw APIError.badRequest(ChatError.badTitle.description)
            }
            if let system = body.system, system.utf8.count > 8192 { throw APIError.badRequest("a system prompt is at most 8192 bytes") }
            if let model = body.model, model.isEmpty || model.utf8.count > 200 { throw APIError.badRequest("a model name is 1 to 200 bytes, as `elohim assistant models` lists them") }
            let chat = try await Self.mapped {
                try chats.store.create(owner: owner, title: title, model: body.model, system: body.system ?? PromptAssembly.defaultSystemPrompt,
                                       nowMs: chats.now())
            }
            return EditedResponse(status: .created, response: chat)
        }
        assistant.get("/chats") { _, context -> ChatList in
            let owner = try DataRoutes.account(context)
            return ChatList(chats: try await Self.mapped { try chats.store.chats(owner: owner) })
        }
        assistant.get("/chats/{id}") { _, context -> ChatView in
            let owner = try DataRoutes.account(context)
            let id = try Self.chatID(context)
            return try await Self.mapped {
                let chat = try chats.store.chat(id: id, owner: owner)
                return ChatView(chat: chat, messages: try chats.store.messages(chat: id))
            }
        }
        assistant.delete("/chats/{id}") { _, context -> Deleted in
            let owner = try DataRoutes.account(context)
            let id = try Self.chatID(context)
            try await Self.mapped { try chats.store.delete(id: id, owner: owner) }
            return Deleted(deleted: id)
        }
        assistant.post("/chats/{id}/messages") { request, context -> Response in
            let owner = try DataRoutes.account(context)
            let id = try Self.chatID(context)
            let body = try await request.decode(as: Question.self, context: context)
            let prepared = try await Self.mapped {
                try await chats.prepare(owner: owner, chatID: id, question: body.content, model: body.model, top: body.top ?? 5)
            }
            let events = chats.answer(prepared)
            let header = Self.event("question", QuestionEvent(message: prepared.question, model: prepared.model))
            return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: header))
                do {
                    for try await event in events {
                        switch event {
                        case .sources(let hits):
                            try await writer.write(ByteBuffer(string: Self.event("sources", SourcesEvent(sources: hits))))
                        case .token(let text):
                            try await writer.write(ByteBuffer(string: Self.event("token", TokenEvent(text: text))))
                        case .done(let answer, let promptTokens, let answerTokens):
                            try await writer.write(ByteBuffer(string: Self.event("done", DoneEvent(message: answer, promptTokens: promptTokens, answerTokens: answerTokens))))
                        }
                    }
                } catch {
                    let code = (error as? ModelServerError).map(Self.code) ?? "answer_failed"
                    try? await writer.write(ByteBuffer(string: Self.event("error", ErrorEvent(code: code, message: "\(error)"))))
                }
                try await writer.finish(nil)
            })
        }
    }

    struct QuestionEvent: Encodable { let message: StoredMessage; let model: String }
    struct SourcesEvent: Encodable { let sources: [SearchHit] }
    struct TokenEvent: Encodable { let text: String }
    struct DoneEvent: Encodable { let message: StoredMessage; let promptTokens: Int?; let answerTokens: Int? }
    struct ErrorEvent: Encodable { let code: String; let message: String }

    /// One server-sent event: `event: NAME`, its JSON on one `data:` line (JSON escapes newlines).
    static func event(_ name: String, _ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: \(name)\ndata: \(json)\n\n"
    }

    static func chatID(_ context: APIRequestContext) throws -> Int64 {
        guard let id = Int64(try context.parameters.require("id")) else {
            throw APIError.badRequest("a chat's id is a number, as GET /api/v1/assistant/chats lists them")
        }
        return id
    }

    static func code(_ e: ModelServerError) -> String {
        switch e {
        case .unreachable: "model_server_unreachable"
        case .modelNotFound: "model_not_found"
        case .timedOut: "model_server_timeout"
        default: "model_server_error"
        }
    }

    /// Runs `body`, turning the assistant's errors into the API's.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await AssistantRoutes.mapped(body) } catch let e as ChatError {
            switch e {
            case .noSuchChat: throw APIError(.notFound, "no_such_chat", e.description)
            case .tooManyChats, .chatFull: throw APIError(.contentTooLarge, "limit_reached", e.description)
            case .noModel: throw APIError(.serviceUnavailable, "no_chat_model", e.description)
            default: throw APIError.badRequest(e.description)
            }
        } catch let e as ModelServerError {
            switch e {
            case .unreachable, .timedOut: throw APIError(.serviceUnavailable, code(e), e.description)
            case .modelNotFound: throw APIError(.notFound, code(e), e.description)
            default: throw APIError(.badGateway, code(e), e.description)
            }
        }
    }
}

extension ChatInfo: ResponseEncodable {}
