import Foundation

/// What answering a question streams, in order: the sources sent with it, the answer's pieces as
/// the model writes them, and the answer stored.
public enum ChatEvent: Sendable {
    case sources([SearchHit])
    case token(String)
    case done(answer: StoredMessage, promptTokens: Int?, answerTokens: Int?)
}

/// Chats grounded in a person's documents: finds the sources, keeps the prompt within the model's
/// window (folding old turns into a rolling summary), streams the model's answer and stores both
/// sides.
///
/// Rules it keeps: the question is stored before the model is asked, so it is never lost; an answer
/// cut by an error is stored with a note saying so; an answer is at most `maxAnswerBytes` (the
/// rest is not read); the window asked of the server is the model's own, at most `maxContext`
/// (Ollama otherwise cuts prompts at its default silently); retrieval failing (the embedding model
/// missing) does not stop the chat, it answers without sources.
public struct ChatService: Sendable {
    public let store: ChatStore
    public let library: (@Sendable () async throws -> DocumentLibrary)?
    public let client: OllamaClient
    public let defaultModel: String?
    public let now: @Sendable () -> Int64
    /// Models' windows as the server described them (shared by copies of this service).
    public let windows = ModelWindowCache()

    public static let maxQuestionBytes = 8 << 10
    public static let maxAnswerBytes = 64 << 10
    public static let maxSummaryBytes = 4 << 10
    public static let maxContext = 8192
    public static let fallbackContext = 2048

    public init(store: ChatStore, library: (@Sendable () async throws -> DocumentLibrary)?, client: OllamaClient, defaultModel: String? = nil,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.store = store
        self.library = library
        self.client = client
        self.defaultModel = defaultModel
        self.now = now
    }

    /// The model a chat uses: the one asked for, the chat's, the node's default, else the first
    /// chat model the server lists.
    public func model(asked: String?, chat: ChatInfo) async throws -> String {
        if let name = asked ?? chat.model ?? defaultModel { return name }
        let models = try await client.listModels()
        guard let first = models.first(where: { !$0.name.lowercased().contains("embed") }) else { throw ChatError.noModel }
        return first.name
    }

    /// The window to ask `model` for: its own context length (as the server describes it, kept
    /// a few minutes), at most `maxContext`. A model the server lacks fails here.
    func window(of model: String) async throws -> Int {
        if let known = windows.window(of: model, at: now()) { return known }
        let described = try await client.showModel(model)
        let window = min(described.contextLength ?? Self.fallbackContext, Self.maxContext)
        windows.learn(window, of: model, at: now())
        return window
    }

    /// A question checked, its sources found, its prompt built and the question stored: what is
    /// left is to ask the model (`answer`). Errors up to here (no such chat, no model server, a
    /// model it lacks) come before anything is streamed, so an HTTP answer can carry their status.
    public struct Prepared: Sendable {
        public let chatID: Int64
        public let question: StoredMessage
        public let model: String
        public let plan: PromptAssembly.Plan
        public let window: Int
    }

    public func prepare(owner: String, chatID: Int64, question: String, model asked: String? = nil, top: Int = 5) async throws -> Prepared {
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ChatError.emptyQuestion }
        guard question.utf8.count <= Self.maxQuestionBytes else { throw ChatError.questionTooLong(bytes: question.utf8.count, limit: Self.maxQuestionBytes) }
        var chat = try store.chat(id: chatID, owner: owner)
        let model = try await model(asked: asked, chat: chat)
        let window = try await window(of: model)

        var hits: [SearchHit] = []
        if let library, KeywordQuery.match(for: question) != nil {
            hits = (try? await library().search(owner: owner, query: question, top: min(max(top, 1), DocumentLibrary.maxTop))) ?? []
        }
        let history = try store.messages(chat: chatID).map { ChatTurn(id: $0.id, role: $0.role, content: $0.content) }
        var plan = PromptAssembly.plan(system: chat.system, summary: chat.summary, summarizedThrough: chat.summarizedThrough,
                                       history: history, question: question, sources: hits, contextTokens: window)
        // Fold what no longer fits into the summary, a window's worth at a time, so that the
        // summary request itself stays within the window too.
        var rounds = 0
        while !plan.toSummarize.isEmpty, rounds < 16 {
            rounds += 1
            let batch = PromptAssembly.summaryBatch(previous: chat.summary, turns: plan.toSummarize, contextTokens: window)
            let summary = try await collect(model: model, messages: PromptAssembly.summaryRequest(previous: chat.summary, turns: batch),
                                            window: window, limit: Self.maxSummaryBytes)
            try store.setSummary(chat: chatID, summary: summary, through: batch.last!.id)
            chat = try store.chat(id: chatID, owner: owner)
            plan = PromptAssembly.plan(system: chat.system, summary: chat.summary, summarizedThrough: chat.summarizedThrough,
                                       history: history, question: question, sources: hits, contextTokens: window)
        }
        let stored = try store.append(chat: chatID, role: "user", content: question, nowMs: now())
        return Prepared(chatID: chatID, question: stored, model: model, plan: plan, window: window)
    }

    /// Asks the model: `.sources`, then `.token`s as they come, then `.done` with the stored answer.
    public func answer(_ prepared: Prepared) -> AsyncThrowingStream<ChatEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await stream(prepared) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func stream(_ p: Prepared, emit: (ChatEvent) -> Void) async throws {
        emit(.sources(p.plan.sources))
        let sources = p.plan.sources.enumerated().map {
            StoredMessage.Source(number: $0.offset + 1, document: $0.element.document, documentName: $0.element.documentName, place: $0.element.place)
        }
        var answer = ""
        var promptTokens: Int?, answerTokens: Int?
        do {
            for try await chunk in client.chat(model: p.model, messages: p.plan.messages, options: ChatOptions(contextLength: p.window)) {
                if !chunk.content.isEmpty, answer.utf8.count < Self.maxAnswerBytes {
                    answer += chunk.content
                    emit(.token(chunk.content))
                }
                if chunk.done { promptTokens = chunk.promptEvalCount; answerTokens = chunk.evalCount }
            }
            try Task.checkCancellation()
        } catch {
            if !answer.isEmpty {
                _ = try? store.append(chat: p.chatID, role: "assistant", content: answer + "\n\n[The answer was cut short: \(error)]",
                                      sources: sources, model: p.model, nowMs: now())
            }
            throw error
        }
        let saved = try store.append(chat: p.chatID, role: "assistant", content: answer, sources: sources, model: p.model, nowMs: now())
        emit(.done(answer: saved, promptTokens: promptTokens, answerTokens: answerTokens))
    }

    /// A whole answer, not streamed to anyone (the rolling summary).
    func collect(model: String, messages: [ChatMessage], window: Int, limit: Int) async throws -> String {
        var text = ""
        for try await chunk in client.chat(model: model, messages: messages, options: ChatOptions(contextLength: window)) {
            if text.utf8.count < limit { text += chunk.content }
        }
        var bytes = Array(text.utf8.prefix(limit))
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
