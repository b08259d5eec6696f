@testable import Assistant
import Testing

/// The prompt for one question, within the window: pure, so checked exactly.
@Suite struct PromptAssemblyTests {
    static func hit(_ n: Int64, _ text: String) -> SearchHit {
        SearchHit(chunk: n, document: n, documentName: "doc\(n).md", place: "line \(n)", text: text, score: 1, similarity: nil, vectorRank: nil, keywordRank: nil)
    }
    static func turns(_ n: Int, bytes: Int) -> [ChatTurn] {
        (1...n).map { ChatTurn(id: Int64($0), role: $0 % 2 == 1 ? "user" : "assistant", content: "t\($0) " + String(repeating: "x", count: bytes)) }
    }

    @Test func sourcesAreNumberedInTheSystemPromptAndTheQuestionComesLast() {
        let plan = PromptAssembly.plan(system: "SYS", summary: nil, summarizedThrough: 0, history: [], question: "Where?",
                                       sources: [Self.hit(1, "alpha"), Self.hit(2, "beta")], contextTokens: 2048)
        #expect(plan.messages.count == 2)
        #expect(plan.messages[0] == .system("SYS\n\nSources:\n[1] doc1.md, line 1:\nalpha\n\n[2] doc2.md, line 2:\nbeta"))
        #expect(plan.messages[1] == .user("Where?"))
        #expect(plan.sources.map(\.chunk) == [1, 2] && plan.toSummarize.isEmpty)
    }

    @Test func theLatestTurnsThatFitAreSentAndTheRestAreToBeSummarized() {
        // Window 1024: budget 768 tokens. Each turn ~ 100 tokens (400 bytes).
        let history = Self.turns(10, bytes: 400)
        let plan = PromptAssembly.plan(system: "SYS", summary: nil, summarizedThrough: 0, history: history, question: "Q?",
                                       sources: [], contextTokens: 1024)
        #expect(plan.estimatedTokens <= PromptAssembly.budget(contextTokens: 1024))
        let sent = plan.messages.dropFirst().dropLast()
        #expect(!sent.isEmpty && sent.count < 10)
        #expect(sent.first?.role == "user", "the history sent starts with a question")
        #expect(sent.last?.content.hasPrefix("t10 ") == true, "the newest turn is sent")
        // What was not sent is exactly what must be folded into the summary.
        let sentIDs = Set(sent.map { Int64($0.content.split(separator: " ")[0].dropFirst())! })
        #expect(Set(plan.toSummarize.map(\.id)).union(sentIDs) == Set(1...10))
        #expect(Set(plan.toSummarize.map(\.id)).isDisjoint(with: sentIDs))
        // Once summarized, those turns are not asked for again, and the summary is sent.
        let after = PromptAssembly.plan(system: "SYS", summary: "S", summarizedThrough: plan.toSummarize.last!.id, history: history,
                                        question: "Q?", sources: [], contextTokens: 1024)
        #expect(after.toSummarize.isEmpty)
        #expect(after.messages[0].content.hasSuffix("Summary of the conversation so far:\nS"))
    }

    @Test func sourcesGiveWayBeforeTheQuestionAndAHugeOneIsCut() {
        let big = String(repeating: "word ", count: 2000)  // ~2500 tokens
        let plan = PromptAssembly.plan(system: "SYS", summary: nil, summarizedThrough: 0, history: [], question: "Q?",
                                       sources: [Self.hit(1, big), Self.hit(2, "small")], contextTokens: 1024)
        #expect(plan.messages.last == .user("Q?"))
        #expect(plan.sources.count == 1 && plan.sources[0].text.utf8.count < big.utf8.count, "the best source, cut to fit")
        #expect(PromptAssembly.tokens(plan.messages.map(\.content).joined()) <= PromptAssembly.budget(contextTokens: 1024) + 16)
        // Many small sources: the lowest ranked are dropped.
        let many = (1...40).map { Self.hit(Int64($0), String(repeating: "y", count: 400)) }
        let some = PromptAssembly.plan(system: "SYS", summary: nil, summarizedThrough: 0, history: [], question: "Q?", sources: many, contextTokens: 1024)
        #expect(some.sources.map(\.chunk) == Array(1...Int64(some.sources.count)) && some.sources.count < 40)
    }

    @Test func aSummaryBatchFitsTheWindow() {
        let turns = Self.turns(20, bytes: 800)  // ~200 tokens each
        let batch = PromptAssembly.summaryBatch(previous: "S", turns: turns, contextTokens: 1024)
        #expect(batch.map(\.id) == Array(1...Int64(batch.count)) && batch.count < 20)
        let request = PromptAssembly.summaryRequest(previous: "S", turns: batch)
        #expect(PromptAssembly.tokens(request.map(\.content).joined()) <= PromptAssembly.budget(contextTokens: 1024))
        // One turn larger than the window is cut, not sent whole.
        let giant = [ChatTurn(id: 7, role: "user", content: String(repeating: "z", count: 40_000))]
        let cut = PromptAssembly.summaryBatch(previous: nil, turns: giant, contextTokens: 1024)
        #expect(cut.count == 1 && cut[0].id == 7 && cut[0].content.utf8.count < 4_000)
    }

    @Test func theSummaryRequestCarriesThePreviousSummaryAndTheTurns() {
        let request = PromptAssembly.summaryRequest(previous: "Earlier: pumps.", turns: Self.turns(2, bytes: 1))
        #expect(request.count == 2 && request[0].role == "system")
        #expect(request[1].content == "Summary so far:\nEarlier: pumps.\n\nThen:\nQuestion: t1 x\n\nAnswer: t2 x")
    }
}
