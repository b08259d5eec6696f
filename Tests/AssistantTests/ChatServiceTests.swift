@testable import Assistant
import Foundation
import Testing

/// Chats against the stand-in model server (Tests/Interop/ollama_standin.py): they check prompt
/// assembly, storage and the rolling summary, not the quality of any answer (there is no model).
@Suite(.enabled(if: StandIn.available, StandIn.skipReason))
struct ChatServiceTests {
    static func service(_ server: StandIn, library: DocumentLibrary? = nil) throws -> ChatService {
        let folder = NSTemporaryDirectory() + "chats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let opener: (@Sendable () async throws -> DocumentLibrary)? = library.map { l in { @Sendable in l } }
        return ChatService(store: try ChatStore(path: folder + "/chats.sqlite"), library: opener, client: server.client)
    }

    static func library() async throws -> DocumentLibrary {
        let folder = NSTemporaryDirectory() + "chat-library-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let library = try DocumentLibrary(path: folder + "/library.sqlite", embedder: BagOfWordsEmbedder(), modelName: "bag-of-words",
                                          chunker: TextChunker(maxPieces: 60, overlapPieces: 10) { _ in 1 })
        _ = try await library.add(owner: "ana", name: "pumps.md", bytes: Data("The spare impeller is kept in bin C-14.".utf8))
        return library
    }

    static func run(_ service: ChatService, _ chat: Int64, _ question: String, model: String = "standin-chat") async throws -> (text: String, events: [ChatEvent]) {
        let prepared = try await service.prepare(owner: "ana", chatID: chat, question: question, model: model)
        var text = "", events: [ChatEvent] = []
        for try await event in service.answer(prepared) {
            events.append(event)
            if case .token(let t) = event { text += t }
        }
        return (text, events)
    }

    @Test func theQuestionAndItsSourcesReachTheModelAndBothSidesAreStored() async throws {
        try await StandIn.with(chunkDelayMilliseconds: 1) { server in
            let service = try Self.service(server, library: try await Self.library())
            let chat = try service.store.create(owner: "ana", title: "t", model: nil, system: PromptAssembly.defaultSystemPrompt, nowMs: 1)
            let (text, events) = try await Self.run(service, chat.id, "Where is the spare impeller?")
            #expect(text.hasPrefix("Stand-in answer (not a language model)"))
            #expect(text.contains("Where is the spare impeller?") && text.contains("Sources seen: [1]"))
            guard case .sources(let hits) = events.first else { Issue.record("sources come first"); return }
            #expect(hits.first?.text.contains("bin C-14") == true)
            let tokens = events.filter { if case .token = $0 { true } else { false } }.count
            #expect(tokens > 1, "the answer is streamed in pieces")
            // The request the server got: the system prompt with the numbered source, then the question.
            let chatRequest = try #require(try server.loggedRequests().last { ($0["path"] as? String) == "/api/chat" })
            let messages = try #require((chatRequest["body"] as? [String: Any])?["messages"] as? [[String: String]])
            #expect(messages.first?["role"] == "system" && messages.first?["content"]?.contains("[1] pumps.md, line 1:\nThe spare impeller is kept in bin C-14.") == true)
            #expect(messages.last == ["role": "user", "content": "Where is the spare impeller?"])
            let stored = try service.store.messages(chat: chat.id)
            #expect(stored.map(\.role) == ["user", "assistant"])
            #expect(stored[1].content == text && stored[1].sources.first?.documentName == "pumps.md" && stored[1].model == "standin-chat")
        }
    }

    @Test func oldTurnsAreFoldedIntoARollingSummaryWhenTheWindowFills() async throws {
        // A window of 700 tokens: the prompt may use 444; each question here is ~150 tokens.
        try await StandIn.with(chunkDelayMilliseconds: 0, contextLength: 700) { server in
            let service = try Self.service(server)
            let chat = try service.store.create(owner: "ana", title: "t", model: nil, system: "SYS", nowMs: 1)
            for i in 1...5 {
                _ = try await Self.run(service, chat.id, "Question \(i): " + String(repeating: "pump \(i) ", count: 80))
            }
            // One more question once old turns are folded: its prompt carries the summary.
            _ = try await Self.run(service, chat.id, "Last question", model: "standin-chat")
            let requests = try server.loggedRequests().filter { ($0["path"] as? String) == "/api/chat" }
            let summaries = requests.filter {
                (($0["body"] as? [String: Any])?["messages"] as? [[String: String]])?.first?["content"]?.hasPrefix("Summarize the conversation") == true
            }
            #expect(!summaries.isEmpty, "a summary was asked for")
            let after = try service.store.chat(id: chat.id, owner: "ana")
            #expect(after.summary?.hasPrefix("Stand-in answer") == true && after.summarizedThrough > 0)
            // Every prompt stayed in the window, and the last one carries the summary.
            for request in requests {
                let messages = ((request["body"] as? [String: Any])?["messages"] as? [[String: String]]) ?? []
                #expect(PromptAssembly.tokens(messages.compactMap { $0["content"] }.joined()) <= 700)
                #expect(((request["body"] as? [String: Any])?["options"] as? [String: Any])?["num_ctx"] as? Int == 700)
            }
            let last = ((requests.last?["body"] as? [String: Any])?["messages"] as? [[String: String]]) ?? []
            #expect(last.first?["content"]?.contains("Summary of the conversation so far:") == true)
            #expect(try service.store.messages(chat: chat.id).count == 12, "nothing is deleted: the summary only shortens what is sent")
        }
    }

    @Test func aModelIsDescribedOnceForManyQuestionsAndAWrongNameEveryTime() async throws {
        try await StandIn.with(chunkDelayMilliseconds: 0) { server in
            let service = try Self.service(server)
            let chat = try service.store.create(owner: "ana", title: "t", model: nil, system: "SYS", nowMs: 1)
            _ = try await Self.run(service, chat.id, "first?")
            _ = try await Self.run(service, chat.id, "second?")
            for _ in 0..<2 {
                await #expect(throws: ModelServerError.modelNotFound("nope")) { try await service.prepare(owner: "ana", chatID: chat.id, question: "hi", model: "nope") }
            }
            let shows = try server.loggedRequests().filter { ($0["path"] as? String) == "/api/show" }
            let names = shows.compactMap { ($0["body"] as? [String: Any]).flatMap { ($0["model"] ?? $0["name"]) as? String } }
            #expect(names == ["standin-chat", "nope", "nope"], "\(names)")
        }
    }

    @Test func failuresSayWhatWasWrongAndLoseNothing() async throws {
        try await StandIn.with(chunkDelayMilliseconds: 1) { server in
            let service = try Self.service(server)
            let chat = try service.store.create(owner: "ana", title: "t", model: nil, system: "SYS", nowMs: 1)
            // An unknown model: refused before the question is stored.
            await #expect(throws: ModelServerError.modelNotFound("nope")) { try await service.prepare(owner: "ana", chatID: chat.id, question: "hi", model: "nope") }
            #expect(try service.store.messages(chat: chat.id).isEmpty)
            // A stream that breaks: the question and the part answered are kept, with a note.
            await #expect(throws: ModelServerError.self) { _ = try await Self.run(service, chat.id, "hello?", model: "standin-fail") }
            let stored = try service.store.messages(chat: chat.id)
            #expect(stored.map(\.role) == ["user", "assistant"])
            #expect(stored[1].content.contains("[The answer was cut short:"))
            // Someone else's chat, an empty or huge question.
            await #expect(throws: ChatError.noSuchChat(id: chat.id)) { try await service.prepare(owner: "ben", chatID: chat.id, question: "hi", model: "standin-chat") }
            await #expect(throws: ChatError.emptyQuestion) { try await service.prepare(owner: "ana", chatID: chat.id, question: " \n", model: "standin-chat") }
            let huge = String(repeating: "a", count: ChatService.maxQuestionBytes + 1)
            await #expect(throws: ChatError.questionTooLong(bytes: huge.utf8.count, limit: ChatService.maxQuestionBytes)) {
                try await service.prepare(owner: "ana", chatID: chat.id, question: huge, model: "standin-chat")
            }
            // Without a model named, the first chat model the server lists.
            #expect(try await service.model(asked: nil, chat: chat) == "standin-chat:latest")
        }
    }
}
