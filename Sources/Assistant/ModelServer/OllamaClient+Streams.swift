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
        let pump = StreamPump(stream, task: task)
        return AsyncThrowingStream { try await pump.next() }
    }
}

/// Hands a producing task's elements to the consumer, and cancels the task once the consumer lets go.
///
/// Why not return the task's own stream: the task holds that stream's continuation, which keeps the
/// stream's storage alive, so a consumer that merely stops iterating (a `break`) would not end it
/// and the server would go on generating. The stream returned instead holds only this object, and
/// when the consumer drops it, `deinit` cancels the task, which closes the connection. A consumer
/// whose task is cancelled ends the inner stream, whose `onTermination` cancels the task too.
private final class StreamPump<Element: Sendable>: @unchecked Sendable {
    // Only `next()` touches the iterator, and AsyncThrowingStream(unfolding:) calls it one call at a time.
    private var iterator: AsyncThrowingStream<Element, Error>.AsyncIterator
    private let task: Task<Void, Never>

    init(_ stream: AsyncThrowingStream<Element, Error>, task: Task<Void, Never>) {
        self.iterator = stream.makeAsyncIterator()
        self.task = task
    }

    func next() async throws -> Element? { try await iterator.next() }

    deinit { task.cancel() }
}
