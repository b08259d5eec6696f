/// A turn of a chat as the prompt sees it: a question or an answer, with its store id.
public struct ChatTurn: Sendable, Equatable {
    public let id: Int64
    public let role: String  // "user" or "assistant"
    public let content: String
    public init(id: Int64, role: String, content: String) { self.id = id; self.role = role; self.content = content }
}

/// Builds what is sent to the chat model for one question, within the model's context window.
///
/// Rules it keeps (pure: the same inputs give the same prompt):
/// - the prompt is the system prompt with the numbered sources ([1] document, place: text), the
///   chat's rolling summary when there is one, as many of the latest turns as fit, and the question;
/// - sizes are estimated as one token per 4 UTF-8 bytes (the chat model's tokenizer is not here;
///   English averages about 4 characters a token), and the prompt is kept within the window less
///   a quarter kept for the answer (at least 256 tokens);
/// - the question and the system prompt are always sent; sources are dropped from the lowest
///   ranked, and a source's text is cut, before the question would not fit;
/// - turns that no longer fit and are newer than the summary are returned in `toSummarize`:
///   the caller folds them into the summary (calls to the model, `summaryBatch` at a time, so each
///   summary request fits the window too) and builds again.
public enum PromptAssembly {
    public static let defaultSystemPrompt = """
        You are the assistant of a field team working offline. Answer the question from the numbered \
        sources when they hold the answer, and cite each source you use by its number in square \
        brackets. When they do not, say so \
        plainly, and answer from general knowledge only when you are sure. Be brief and practical.
        """

    public struct Plan: Sendable, Equatable {
        public let messages: [ChatMessage]
        /// The sources sent, in their numbered order (1-based: `sources[0]` is [1]).
        public let sources: [SearchHit]
        /// Older turns that did not fit and are not yet in the summary.
        public let toSummarize: [ChatTurn]
        public let estimatedTokens: Int
    }

    public static func tokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }

    /// The tokens the prompt may use in a window of `contextTokens`.
    public static func budget(contextTokens: Int) -> Int { max(64, contextTokens - max(256, contextTokens / 4)) }

    public static func sourcesBlock(_ sources: [SearchHit]) -> String {
        sources.enumerated().map { i, s in "[\(i + 1)] \(s.documentName), \(s.place):\n\(s.text)" }.joined(separator: "\n\n")
    }

    /// - Parameters:
    ///   - history: the chat's earlier turns, oldest first (not the question being asked).
    ///   - summarizedThrough: the id of the last turn already folded into `summary` (0: none).
    public static func plan(system: String, summary: String?, summarizedThrough: Int64, history: [ChatTurn],
                            question: String, sources: [SearchHit], contextTokens: Int) -> Plan {
        let budget = budget(contextTokens: contextTokens)
        let summaryText = summary.map { "\n\nSummary of the conversation so far:\n\($0)" } ?? ""
        // Fit the sources first: the system prompt, the summary and the question must go.
        let fixed = tokens(system) + tokens(summaryText) + tokens(question) + 16
        var kept: [SearchHit] = []
        var used = fixed
        for source in sources {
            let cost = tokens("[\(kept.count + 1)] \(source.documentName), \(source.place):\n\(source.text)\n\n") + 4
            if used + cost <= budget {
                kept.append(source)
                used += cost
            } else if kept.isEmpty, budget - used > 64 {
                // Not even the best source fits whole: send its beginning.
                let room = (budget - used - 16) * 4
                let cut = String(decoding: Array(source.text.utf8).prefix(max(0, room)), as: UTF8.self)
                kept.append(SearchHit(chunk: source.chunk, document: source.document, documentName: source.documentName, place: source.place,
                                      text: cut, score: source.score, similarity: source.similarity,
                                      vectorRank: source.vectorRank, keywordRank: source.keywordRank))
                used = budget
            }
        }
        var systemText = system
        if !kept.isEmpty { systemText += "\n\nSources:\n" + sourcesBlock(kept) }
        systemText += summaryText

        // Then the latest turns, newest first, while they fit.
        let unsummarized = history.filter { $0.id > summarizedThrough }
        var included: [ChatTurn] = []
        for turn in unsummarized.reversed() {
            let cost = tokens(turn.content) + 4
            guard used + cost <= budget else { break }
            included.insert(turn, at: 0)
            used += cost
        }
        // An answer without its question reads oddly: start with a question.
        while let first = included.first, first.role != "user" { included.removeFirst(); used -= tokens(first.content) + 4 }
        let firstIncluded = included.first?.id ?? Int64.max
        let toSummarize = unsummarized.filter { $0.id < firstIncluded }

        var messages = [ChatMessage.system(systemText)]
        messages += included.map { ChatMessage(role: $0.role, content: $0.content) }
        messages.append(.user(question))
        return Plan(messages: messages, sources: kept, toSummarize: toSummarize, estimatedTokens: used)
    }

    /// The oldest of `turns` whose summary request fits the window (at least one turn, cut to fit).
    public static func summaryBatch(previous: String?, turns: [ChatTurn], contextTokens: Int) -> [ChatTurn] {
        let room = budget(contextTokens: contextTokens) - tokens(summaryRequest(previous: previous, turns: []).map(\.content).joined()) - 16
        var batch: [ChatTurn] = [], used = 0
        for turn in turns {
            let cost = tokens(turn.content) + 4
            guard used + cost <= room else { break }
            batch.append(turn)
            used += cost
        }
        if batch.isEmpty, let first = turns.first {
            let cut = String(decoding: Array(first.content.utf8).prefix(max(64, room) * 4), as: UTF8.self)
            batch = [ChatTurn(id: first.id, role: first.role, content: cut)]
        }
        return batch
    }

    /// The request that folds `turns` into a new summary.
    public static func summaryRequest(previous: String?, turns: [ChatTurn]) -> [ChatMessage] {
        var transcript = previous.map { "Summary so far:\n\($0)\n\nThen:\n" } ?? ""
        transcript += turns.map { "\($0.role == "user" ? "Question" : "Answer"): \($0.content)" }.joined(separator: "\n\n")
        return [
            .system("Summarize the conversation below in at most 150 words for whoever continues it. Keep names, numbers, places, decisions and open questions. Write the summary only."),
            .user(transcript),
        ]
    }
}
