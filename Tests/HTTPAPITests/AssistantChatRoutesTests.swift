import Assistant
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HTTPAPI

/// The assistant's chats over HTTP: chats per caller, errors before the model is asked as JSON
/// with their status, and the answer as server-sent events. The model server is Ollama's
/// stand-in (Tests/Interop/ollama_standin.py): it checks the wire, not the quality of an answer.
@Suite struct AssistantChatRoutesTests {
    struct Chat: Decodable { let id: Int64; let title: String; let model: String? }
    struct ChatList: Decodable { let chats: [Chat] }
    struct Message: Decodable { let role: String; let content: String; let sources: [StoredMessage.Source] }
    struct ChatView: Decodable { let chat: Chat; let messages: [Message] }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
    struct Token: Decodable { let token: String }

    static func error(_ r: TestResponse) -> (code: String, message: String) {
        let e = try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body))
        return (e?.error.code ?? "?", e?.error.message ?? String(buffer: r.body))
    }

    /// Nothing listens on port 1 of loopback: connections are refused at once.
    static var noServer: HTTPOptions {
        var options = HTTPOptions()
        options.ollama = ModelServerAddress(host: "127.0.0.1", port: 1)
        return options
    }

    @Test func chatsAreEachCallersAndErrorsComeBeforeAnyStream() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test(options: Self.noServer) { client in
            try await client.execute(uri: "/api/v1/assistant/models", method: .get, headers: auth) { r in
                #expect(r.status == .serviceUnavailable && Self.error(r).code == "model_server_unreachable")
                #expect(Self.error(r).message.contains("ollama serve"), "it says how to start one")
            }
            var id: Int64 = 0
            try await client.execute(uri: "/api/v1/assistant/chats", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"title": "Pumps", "model": "llama3.2"}"#)) { r throws in
                #expect(r.status == .created)
                id = try JSONDecoder().decode(Chat.self, from: Data(buffer: r.body)).id
            }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)/messages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"content": "Where is the impeller?"}"#)) { r in
                #expect(r.status == .serviceUnavailable && Self.error(r).code == "model_server_unreachable")
            }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)/messages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"content": "  "}"#)) { r in
                #expect(r.status == .badRequest && Self.error(r).message.contains("empty"))
            }
            try await client.execute(uri: "/api/v1/assistant/chats/999/messages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"content": "hi"}"#)) { r in
                #expect(r.status == .notFound && Self.error(r).code == "no_such_chat")
            }
            for bad in [#"{"title": ""}"#, #"{"title": "a\u0007b"}"#, #"{"model": ""}"#] {
                try await client.execute(uri: "/api/v1/assistant/chats", method: .post, headers: auth, body: ByteBuffer(string: bad)) { r in
                    #expect(r.status == .badRequest, "\(bad)")
                }
            }
            // Another account sees none of them.
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"username": "bob", "password": "bob's passphrase"}"#)) { $0.status }
            struct LoginToken: Decodable { let token: String }
            let bob = t.bearer(try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                                        body: ByteBuffer(string: #"{"username": "bob", "password": "bob's passphrase"}"#)) {
                try JSONDecoder().decode(LoginToken.self, from: Data(buffer: $0.body)).token
            })
            try await client.execute(uri: "/api/v1/assistant/chats", method: .get, headers: bob) { r throws in
                #expect(try JSONDecoder().decode(ChatList.self, from: Data(buffer: r.body)).chats.isEmpty)
            }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)", method: .get, headers: bob) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)", method: .delete, headers: bob) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)", method: .delete, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/assistant/chats", method: .get, headers: auth) { r throws in
                #expect(try JSONDecoder().decode(ChatList.self, from: Data(buffer: r.body)).chats.isEmpty)
            }
        }
    }

    @Test(.enabled(if: StandInServer.available, "needs .venv/bin/python for the stand-in model server: run `make venv`"))
    func anAnswerStreamsAsServerSentEventsAndIsStored() async throws {
        let server = try await StandInServer.start()
        defer { server.stop() }
        var options = HTTPOptions()
        options.ollama = ModelServerAddress(host: "127.0.0.1", port: server.port)
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test(options: options) { client in
            var id: Int64 = 0
            try await client.execute(uri: "/api/v1/assistant/chats", method: .post, headers: auth, body: ByteBuffer(string: "{}")) { r throws in
                id = try JSONDecoder().decode(Chat.self, from: Data(buffer: r.body)).id
            }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)/messages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"content": "Where is the spare impeller?", "model": "standin-chat"}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/event-stream; charset=utf-8")
                let events = String(buffer: r.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }
                let names = events.map { $0.components(separatedBy: "\n")[0] }
                #expect(names.first == "event: question" && names.dropFirst().first == "event: sources" && names.last == "event: done", "\(names)")
                #expect(names.filter { $0 == "event: token" }.count > 1, "the answer comes in pieces")
                // Each event is one data line of JSON; the pieces join into the stand-in's answer.
                var text = ""
                for event in events where event.hasPrefix("event: token\n") {
                    let data = event.components(separatedBy: "\n")[1]
                    #expect(data.hasPrefix("data: "))
                    struct Piece: Decodable { let text: String }
                    text += try! JSONDecoder().decode(Piece.self, from: Data(data.dropFirst(6).utf8)).text
                }
                #expect(text.hasPrefix("Stand-in answer (not a language model)") && text.contains("Where is the spare impeller?"))
            }
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)", method: .get, headers: auth) { r throws in
                let view = try JSONDecoder().decode(ChatView.self, from: Data(buffer: r.body))
                #expect(view.messages.map(\.role) == ["user", "assistant"])
                #expect(view.messages[1].content.hasPrefix("Stand-in answer"))
            }
            // A model the server lacks: 404 before anything streams, and the question is not stored.
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)/messages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"content": "again", "model": "nope"}"#)) { r in
                #expect(r.status == .notFound && Self.error(r).code == "model_not_found")
            }
            // A stream that breaks: an error event after the first pieces.
            try await client.execute(uri: "/api/v1/assistant/chats/\(id)/messages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"content": "break", "model": "standin-fail"}"#)) { r in
                let body = String(buffer: r.body)
                #expect(body.contains("event: token") && body.hasSuffix("\n\n") && body.contains("event: error\ndata: {\"code\":\"model_server_error\""))
            }
            try await client.execute(uri: "/api/v1/assistant/models", method: .get, headers: auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("standin-chat:latest"))
            }
        }
    }
}

/// The stand-in model server as a child process (SIGKILL to stop it: children of Foundation's
/// Process may start with SIGTERM blocked).
final class StandInServer: Sendable {
    static let checkout: String = {
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var python: String { checkout + "/.venv/bin/python" }
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    let process: Process
    let port: Int
    let input: Pipe

    init(process: Process, port: Int, input: Pipe) { self.process = process; self.port = port; self.input = input }

    static func start() async throws -> StandInServer {
        try await withCheckedThrowingContinuation { continuation in
            // Reading the port blocks: not on the cooperative pool.
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let p = Process(), out = Pipe(), input = Pipe()
                    p.executableURL = URL(fileURLWithPath: python)
                    p.arguments = [checkout + "/Tests/Interop/ollama_standin.py", "--port", "0", "--chunk-delay-ms", "1", "--exit-with-parent"]
                    p.standardOutput = out
                    p.standardInput = input
                    try p.run()
                    var line = Data()
                    while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
                    struct Port: Decodable { let port: Int }
                    guard let port = try? JSONDecoder().decode(Port.self, from: line).port else {
                        kill(p.processIdentifier, SIGKILL)
                        throw CocoaError(.fileReadCorruptFile)
                    }
                    return StandInServer(process: p, port: port, input: input)
                })
            }
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
