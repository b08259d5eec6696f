import ArgumentParser
import Assistant
import Foundation

/// `elohim ask QUESTION`: a question to the assistant, answered from your documents, streamed.
struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask the assistant a question; it answers from your documents and cites them.",
        discussion: """
        The node finds the passages of your library that best answer the question (`elohim \
        assistant index FILE` adds documents), sends them with the question to a chat model on its \
        Ollama server (`elohim node run --ollama URL`), and the answer is printed as it is written, \
        followed by its sources. Each call is a new chat unless --chat continues one (the node keeps \
        its history, and folds old turns into a summary when the model's window fills).

          elohim ask "How long do we cool a burn?"
          elohim ask "Which bin holds the spare impeller?" --model llama3.2
          elohim ask "And the seals?" --chat 3
        """
    )

    @Argument(help: "The question (at most 8192 bytes).") var question: String
    @Option(help: "The chat model (default: the chat's, the node's --chat-model, else the first the server has).") var model: String?
    @Option(help: ArgumentHelp("Continue this chat (its id, as the end of an answer prints it).", valueName: "id")) var chat: Int64?
    @Option(help: "How many passages to send with the question (1 to 50).") var top: Int = 5
    @OptionGroup(title: "Node") var api: APIOptions

    struct NewChat: Encodable { let title: String; let model: String? }
    struct Chat: Decodable { let id: Int64 }
    struct Body: Encodable { let content: String; let model: String?; let top: Int }

    func validate() throws {
        guard (1...DocumentLibrary.maxTop).contains(top) else { throw ValidationError("--top must be between 1 and \(DocumentLibrary.maxTop)") }
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("the question is empty: ask something") }
    }

    func run() async throws {
        let client = try api.client()
        var chatID = chat
        if chatID == nil {
            let title = String(question.prefix(60))
            do { chatID = (try await client.post("api/v1/assistant/chats", NewChat(title: title, model: model)) as Chat).id } catch { throw fail(error) }
        }
        let body = try JSONEncoder().encode(Body(content: question, model: model, top: top))
        let printer = AnswerPrinter()
        do {
            try client.streamEvents("api/v1/assistant/chats/\(chatID!)/messages", body: [UInt8](body), onEvent: printer.handle)
        } catch {
            // Refused before the question was stored (a model the server lacks, no model server):
            // the chat made for it would be left empty, so it goes too.
            if chat == nil, printer.events == 0 { try? await client.deleteNoContent("api/v1/assistant/chats/\(chatID!)") }
            throw fail(error)
        }
        FileHandleOutput.standardOutput(printer.closing(chat: chatID!))
        if printer.failed { throw ExitCode.failure }
    }
}

/// Turns the node's answer events into text on the terminal: pieces as they come, then sources.
final class AnswerPrinter {
    struct Source: Decodable { let documentName: String; let place: String }
    struct Sources: Decodable { let sources: [Source] }
    struct Token: Decodable { let text: String }
    struct Failure: Decodable { let code: String; let message: String }
    struct Done: Decodable { let promptTokens: Int?; let answerTokens: Int? }

    var sources: [Source] = []
    var failed = false
    /// Events received: none means the node refused the question before storing it.
    var events = 0
    var endedWithNewline = true

    func handle(event: String, data: Data) throws {
        events += 1
        switch event {
        case "sources": sources = try JSONDecoder().decode(Sources.self, from: data).sources
        case "token":
            let text = try JSONDecoder().decode(Token.self, from: data).text
            FileHandleOutput.standardOutput(text)
            endedWithNewline = text.hasSuffix("\n")
        case "error":
            let e = try JSONDecoder().decode(Failure.self, from: data)
            if !endedWithNewline { FileHandleOutput.standardOutput("\n") }
            FileHandleOutput.standardError("error: the answer stopped: \(e.message)\n")
            failed = true
            endedWithNewline = true
        default: break
        }
    }

    func closing(chat: Int64) -> String {
        var out = endedWithNewline ? "" : "\n"
        if sources.isEmpty {
            out += "\n(no sources: nothing in your library matched; `elohim assistant index FILE` adds documents)\n"
        } else {
            out += "\nSources:\n" + sources.enumerated().map { "  [\($0.offset + 1)] \($0.element.documentName), \($0.element.place)" }.joined(separator: "\n") + "\n"
        }
        return out + "(chat \(chat): continue it with --chat \(chat))\n"
    }
}
