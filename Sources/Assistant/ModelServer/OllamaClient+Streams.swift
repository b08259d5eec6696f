import Foundation
import NIOCore
import NIOHTTP1

extension OllamaClient {
    /// Chats with `model` (/api/chat): the answer as it is generated, one `ChatChunk` a line of the
    /// server's NDJSON, the last with `done == true` and the counts and durations.
    ///
    /// Rules it keeps: `messages` reach the server as given (nothing added, reordered or trimmed:
    /// keeping the prompt under the model's context is the caller's work); an `{"error": …}` line in
    /// the middle of the answer ends the stream with `.server`; an unknown model is `.modelNotFound`;
    /// when the consumer stops iterating, the connection closes and the server stops generating.
    public func chat(model: String, messages: [ChatMessage], options: ChatOptions? = nil) -> AsyncThrowingStream<ChatChunk, Error> {
        stream(model: model, "/api/chat", encode: { try OllamaWire.encode(OllamaWire.ChatRequest(model: model, messages: messages, options: options)) }) { line in
            try OllamaWire.decode(OllamaWire.ChatLine.self, from: line, what: "a line of the chat's answer").chunk
        }
    }

    /// Downloads `model` to the server (/api/pull): its progress, one line at a time, ending with
    /// `status == "success"`. A name the registry does not know ends the stream with `.server`.
    public func pull(model: String) -> AsyncThrowingStream<PullProgress, Error> {
        stream(model: model, "/api/pull", encode: { try OllamaWire.encode(OllamaWire.PullRequest(model)) }) { line in
            try OllamaWire.decode(PullProgress.self, from: line, what: "a line of the pull's progress")
        }
    }

    /// POSTs a request whose answer is NDJSON, and yields each line decoded; the request runs in a task
    /// of its own that is cancelled (closing the connection) when the stream's consumer goes away.
    private func stream<Element: Sendable>(model: String, _ path: String, encode: @escaping @Sendable () throws -> [UInt8],
                                           decode: @escaping @Sendable (ByteBuffer) throws -> Element) -> AsyncThrowingStream<Element, Error> {
        let (stream, continuation) = AsyncThrowingStream<Element, Error>.makeStream()
        let transport = self.transport
        let maxLineBytes = limits.maxLineBytes
        let task = Task {
            do {
                try await transport.exchange(.POST, path, json: try encode(), mode: .lines(maxLineBytes: maxLineBytes)) { reader in
                    guard (200..<300).contains(reader.status) else {
                        throw OllamaWire.failure(status: reader.status, text: try await reader.remainingText(), model: model)
                    }
                    while let line = try await reader.nextLine() {
                        if let message = OllamaWire.errorMessage(in: line) { throw ModelServerError.server(status: reader.status, message: message) }
                        continuation.yield(try decode(line))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }

        // Ends when the consumer goes: a cancelled consuming task, or a `break` (the stream's iterator,
        // dropped, cancels it), runs onTermination, whose cancel closes the connection.
        return stream
    }
}
