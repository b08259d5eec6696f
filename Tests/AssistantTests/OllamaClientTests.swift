@testable import Assistant
import Foundation
import NIOCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The Ollama client against Tests/Interop/ollama_standin.py, a STAND-IN server that speaks Ollama's
/// API but is not a language model: these tests check the client (requests, streaming, errors,
/// cancellation, limits) and that the prompt reaches the server unchanged, not answer quality.
@Suite(.enabled(if: StandIn.available, StandIn.skipReason))
struct OllamaClientTests {
    // MARK: Chat

    @Test func chatStreamsPiecesThenTheCounts() async throws {
        try await StandIn.with { server in
            let question = "Where is the spare impeller for pump 3?"
            var pieces: [ChatChunk] = []
            var final: ChatChunk?
            for try await chunk in server.client.chat(model: "standin-chat", messages: [.user(question)]) {
                #expect(final == nil, "nothing may follow the chunk marked done")
                if chunk.done { final = chunk } else { pieces.append(chunk) }
            }
            #expect(pieces.count > 1, "the answer must arrive in pieces, not in one line")
            let text = pieces.map(\.content).joined()
            #expect(text.hasPrefix("Stand-in answer (not a language model)"))
            #expect(text.contains(question))
            let last = try #require(final)
            #expect(last.doneReason == "stop")
            #expect(last.promptEvalCount == (question.count + 3) / 4)
            #expect(last.evalCount == (text.count + 3) / 4)
            #expect(last.totalDuration != nil && last.evalDuration != nil && last.promptEvalDuration != nil && last.loadDuration != nil)
            #expect(last.model == "standin-chat")
        }
    }

    @Test func theMessagesReachTheServerUnchanged() async throws {
        try await StandIn.with { server in
            let messages: [ChatMessage] = [
                .system("Answer from the sources only. [1] Pump manual, p. 4: the impeller is in bay 2. [2] Log: \"seal\" \\ replaced."),
                .user("Où est la roue ? 👍🏽\nSecond line\twith a tab"),
                .assistant("In bay 2 [1]."),
                .user("And the seals? [2]"),
            ]
            let options = ChatOptions(temperature: 0.2, contextLength: 8192, seed: 7)
            var text = ""
            for try await chunk in server.client.chat(model: "standin-chat", messages: messages, options: options) { text += chunk.content }
            #expect(text.contains("Messages: 4 (system 1, user 2, assistant 1)"))
            #expect(text.contains("Sources seen: [1], [2]."))

            let request = try #require(try server.loggedRequests().last { $0["path"] as? String == "/api/chat" })
            let body = try #require(request["body"] as? [String: Any])
            let sent = try #require(body["messages"] as? [[String: String]])
            #expect(sent == messages.map { ["role": $0.role, "content": $0.content] })
            #expect(body["stream"] as? Bool == true)
            let sentOptions = try #require(body["options"] as? [String: Any])
            #expect(sentOptions["num_ctx"] as? Int == 8192 && sentOptions["seed"] as? Int == 7 && sentOptions["temperature"] as? Double == 0.2)
            #expect(sentOptions.count == 3, "options left nil must not be sent")
        }
    }

    @Test func aChatWithAnUnknownModelIsModelNotFound() async throws {
        try await StandIn.with { server in
            let error = await #expect(throws: ModelServerError.self) {
                for try await _ in server.client.chat(model: "no-such-model", messages: [.user("hello")]) {}
            }
            #expect(error == .modelNotFound("no-such-model"))
            #expect(error?.description.contains("elohim assistant pull no-such-model") == true)
        }
    }

    @Test func anErrorLineInTheStreamEndsItWithTheServersMessage() async throws {
        try await StandIn.with { server in
            var pieces = 0
            let error = await #expect(throws: ModelServerError.self) {
                for try await chunk in server.client.chat(model: "standin-fail", messages: [.user("hello")]) {
                    #expect(!chunk.done)
                    pieces += 1
                }
            }
            #expect(pieces == 2, "the pieces before the error line are the caller's")
            guard case .server(let status, let message) = error else { Issue.record("not a server error: \(String(describing: error))"); return }
            #expect(status == 200)
            #expect(message.contains("simulated failure"))
        }
    }

    // MARK: Models

    @Test func versionAndShowModel() async throws {
        try await StandIn.with(contextLength: 8192) { server in
            #expect(try await server.client.version() == "0.0.0-standin")
            let description = try await server.client.showModel("standin-chat")
            #expect(description.contextLength == 8192)
            #expect(description.details?.family == "standin")
            #expect(description.capabilities == ["completion"])
            await #expect(throws: ModelServerError.modelNotFound("absent")) { try await server.client.showModel("absent") }
        }
    }

    @Test func pullProgressRisesToSuccessThenTheModelIsListedThenDeleted() async throws {
        try await StandIn.with(chunkDelayMilliseconds: 1) { server in
            var progress: [PullProgress] = []
            for try await line in server.client.pull(model: "tinyllama:1b") { progress.append(line) }
            #expect(progress.first?.status == "pulling manifest")
            #expect(progress.last?.status == "success")
            let weights = progress.filter { $0.total == 4_000_000 }.compactMap(\.completed)
            #expect(weights.count >= 2 && weights == weights.sorted(), "the bytes received only rise: \(weights)")
            #expect(weights.last == 4_000_000)
            #expect(progress.compactMap(\.fraction).allSatisfy { (0...1).contains($0) })

            let names = try await server.client.listModels().map(\.name)
            #expect(names.contains("tinyllama:1b"))

            try await server.client.delete(model: "tinyllama:1b")
            #expect(!(try await server.client.listModels().map(\.name).contains("tinyllama:1b")))
            await #expect(throws: ModelServerError.modelNotFound("tinyllama:1b")) { try await server.client.delete(model: "tinyllama:1b") }
        }
    }

    @Test func aPullTheRegistryCannotServeEndsWithTheServersMessage() async throws {
        try await StandIn.with(chunkDelayMilliseconds: 1) { server in
            var statuses: [String] = []
            let error = await #expect(throws: ModelServerError.self) {
                for try await line in server.client.pull(model: "standin-missing-model") { statuses.append(line.status) }
            }
            #expect(statuses == ["pulling manifest"])
            #expect(error == .server(status: 200, message: "pull model manifest: file does not exist"))
        }
    }

    @Test func listedModelsCarryTheirDetails() async throws {
        try await StandIn.with { server in
            let models = try await server.client.listModels()
            let chat = try #require(models.first { $0.name == "standin-chat:latest" })
            #expect(chat.size > 1_000_000)
            #expect(chat.details?.family == "standin" && chat.details?.parameterSize == "1.0B" && chat.details?.quantizationLevel == "Q4_0")
            #expect(chat.modifiedAt?.isEmpty == false)
        }
    }

    // MARK: Addresses and failures

    @Test func nothingListeningIsUnreachableAtOnce() async throws {
        let port = try LocalSocket.closedPort()
        let client = try OllamaClient(baseURL: "http://127.0.0.1:\(port)")
        // Refused, not timed out: `.unreachable`, not `.timedOut` (no clock is read: under a loaded
        // test run a wall-clock bound failed while the answer was right).
        let error = await #expect(throws: ModelServerError.self) { _ = try await client.listModels() }
        guard case .unreachable(let url, _) = error else { Issue.record("not unreachable: \(String(describing: error))"); return }
        #expect(url == "http://127.0.0.1:\(port)")
        #expect(error!.description.contains("ollama serve"))
        #expect(error!.description.contains("retrieval and search still work"))

        // A stream fails the same way, with the same error.
        await #expect(throws: ModelServerError.self) { for try await _ in client.chat(model: "m", messages: [.user("q")]) {} }
    }

    @Test func onlyPlainHTTPAddressesAreAccepted() throws {
        #expect(try OllamaClient(baseURL: "http://127.0.0.1:11434").baseURL == "http://127.0.0.1:11434")
        #expect(try OllamaClient(baseURL: "http://gpu-box.local").baseURL == "http://gpu-box.local:11434")
        #expect(try OllamaClient(baseURL: "http://[::1]:8080/").address == ModelServerAddress(host: "::1", port: 8080))
        #expect(OllamaClient().baseURL == "http://127.0.0.1:11434")
        for bad in ["https://127.0.0.1:11434", "127.0.0.1:11434", "ftp://host", "http://host:11434/api", "http://user:pw@host", "http://", "not a url"] {
            #expect(throws: ModelServerError.self, "\(bad)") { try OllamaClient(baseURL: bad) }
        }
        do { _ = try OllamaClient(baseURL: "https://127.0.0.1:11434"); Issue.record("https accepted") } catch {
            #expect(error.description.contains("https is not supported"))
            #expect(error.description.contains("http://HOST:PORT"))
        }
    }

    @Test func aLineOverTheLimitIsRefused() async throws {
        try await StandIn.with { server in
            var client = server.client
            client.limits.maxLineBytes = 64  // every line of a chat answer is longer
            let error = await #expect(throws: ModelServerError.self) {
                for try await _ in client.chat(model: "standin-chat", messages: [.user("q")]) {}
            }
            #expect(error == .responseTooLarge(what: "a line of its answer", limit: 64))

            client.limits.maxBodyBytes = 100  // the model list is longer
            await #expect(throws: ModelServerError.responseTooLarge(what: "an answer", limit: 100)) { _ = try await client.listModels() }
        }
    }

    @Test func aServerThatStopsTalkingTimesOut() async throws {
        // Accepts connections (the kernel's backlog) but never reads or answers.
        let silent = try LocalSocket.listening()
        defer { close(silent.fd) }
        var client = try OllamaClient(baseURL: "http://127.0.0.1:\(silent.port)")
        client.timeouts.firstByte = .milliseconds(300)
        await #expect(throws: ModelServerError.timedOut(.firstByte, seconds: 0.3)) { _ = try await client.version() }

        try await StandIn.with(chunkDelayMilliseconds: 2000) { server in
            var client = server.client
            client.timeouts.idle = .milliseconds(300)
            var pieces = 0
            await #expect(throws: ModelServerError.timedOut(.idle, seconds: 0.3)) {
                for try await _ in client.chat(model: "standin-chat", messages: [.user("q")]) { pieces += 1 }
            }
            #expect(pieces == 1)
        }
    }

    @Test func anAnswerSentBeforeTheRequestIsWrittenIsStillRead() async throws {
        // A server that refuses a request from its head alone (as a server does with a body too
        // large) answers and ends its side while this process is still writing the body: the
        // server's answer is the outcome, not the write that then finds the connection closed
        // (that was "I/O on closed channel", a 502 with the wrong reason, before).
        let message = "request entity too large"
        let body = #"{"error":"\#(message)"}"#
        let server = try LocalSocket.answeringAtOnce(
            "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
        let client = try OllamaClient(baseURL: "http://127.0.0.1:\(server.port)")
        let text = String(repeating: "a long document ", count: 1 << 16)  // 16 MiB of JSON in all
        await #expect(throws: ModelServerError.server(status: 413, message: message)) {
            _ = try await client.embed(model: "standin-embed", texts: Array(repeating: text, count: 16))
        }
        server.finished.wait()
    }

    // MARK: Cancellation

    @Test func aStreamTheCallerStopsReadingClosesItsConnection() async throws {
        // A question of 40 words makes an answer of 10 pieces, 400 ms apart: 4 s in all. A connection
        // gone within 1.2 s of the break (0.8 s in) was closed by the client, not ended by the server.
        try await StandIn.with(chunkDelayMilliseconds: 400) { server in
            var pieces = 0
            for try await _ in server.client.chat(model: "standin-chat", messages: [.user(Self.longQuestion)]) {
                pieces += 1
                if pieces == 2 { break }
            }
            #expect(pieces == 2)
            let deadline = ContinuousClock.now + .milliseconds(1200)
            while LocalSocket.openConnections(toPort: server.port) > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(LocalSocket.openConnections(toPort: server.port) == 0, "the connection is still open after the break")
            // The server is none the worse: the next request is answered.
            #expect(try await server.client.version() == "0.0.0-standin")
        }
    }

    @Test func cancellingTheConsumingTaskClosesTheConnection() async throws {
        try await StandIn.with(chunkDelayMilliseconds: 400) { server in
            let client = server.client
            let consumer = Task {
                var pieces = 0
                for try await _ in client.chat(model: "standin-chat", messages: [.user(Self.longQuestion)]) { pieces += 1 }
                return pieces
            }
            try await Task.sleep(for: .milliseconds(600))
            consumer.cancel()
            let pieces = try? await consumer.value
            #expect((pieces ?? 0) < 5, "the stream must end early, not run to its end")
            let deadline = ContinuousClock.now + .milliseconds(1200)
            while LocalSocket.openConnections(toPort: server.port) > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(LocalSocket.openConnections(toPort: server.port) == 0)
        }
    }

    static let longQuestion = String(repeating: "Which spare parts for the northern pump are kept in bay two? ", count: 4)

    // MARK: Embeddings

    @Test func theEmbeddingBackendGivesUnitVectorsThatDependOnTheTextAlone() async throws {
        try await StandIn.with { server in
            var backend = try await OllamaEmbeddingBackend.connect(client: server.client, model: "standin-embed")
            #expect(backend.dimensions == 384)
            let texts = ["Pump 3 leaks at the inlet", "Où est la roue ?", "", "Pump 3 leaks at the inlet", "spare seals in bay 2"]
            let vectors = try await backend.embed(texts)
            #expect(vectors.count == texts.count)
            for vector in vectors {
                #expect(vector.count == 384)
                let norm = vector.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                #expect(abs(norm - 1) < 1e-5)
            }
            #expect(vectors[0] == vectors[3])
            #expect(vectors[0] != vectors[1])

            backend.batchSize = 2  // three requests, same vectors
            #expect(try await backend.embed(texts) == vectors)

            let wrong = OllamaEmbeddingBackend(client: server.client, model: "standin-embed", dimensions: 768)
            await #expect(throws: ModelServerError.self) { _ = try await wrong.embed(["x"]) }
            await #expect(throws: ModelServerError.modelNotFound("absent")) {
                _ = try await OllamaEmbeddingBackend(client: server.client, model: "absent", dimensions: 384).embed(["x"])
            }
        }
    }

    // MARK: The line buffer

    @Test func theLineBufferSplitsAcrossPartsAndKeepsItsCap() throws {
        var buffer = LineBuffer(maxLineBytes: 8)
        #expect(try buffer.append(ByteBuffer(string: "{\"a\":1}\r\n{\"b\"")).map { String(buffer: $0) } == ["{\"a\":1}"])
        #expect(try buffer.append(ByteBuffer(string: ":2}\n\n")).map { String(buffer: $0) } == ["{\"b\":2}"])
        #expect(try buffer.append(ByteBuffer(string: "last")).isEmpty)
        #expect(buffer.finish().map { String(buffer: $0) } == "last")
        #expect(buffer.finish() == nil)
        // Refused as soon as the unfinished line passes the cap, before any newline.
        #expect(throws: LineBuffer.LineTooLong.self) { try buffer.append(ByteBuffer(string: "123456789")) }
        var other = LineBuffer(maxLineBytes: 8)
        #expect(throws: LineBuffer.LineTooLong.self) { try other.append(ByteBuffer(string: "123456789\nok\n")) }
    }
}

/// A stand-in server run as a child process for one test, killed when the test ends (passed or not).
final class StandIn: Sendable {
    static var python: String { Reference.checkout + "/.venv/bin/python" }
    static var script: String { Reference.checkout + "/Tests/Interop/ollama_standin.py" }
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: python) && FileManager.default.fileExists(atPath: script)
    }
    static let skipReason: Comment = "needs .venv/bin/python to run the stand-in Ollama server: run `make venv`"

    let process: Process
    let port: Int
    let logPath: String
    let client: OllamaClient
    private let stdin: Pipe

    /// Runs `body` with a fresh stand-in, then stops it.
    static func with(chunkDelayMilliseconds: Int = 20, contextLength: Int = 2048,
                     _ body: (StandIn) async throws -> Void) async throws {
        // Started on a thread of its own: it blocks until the child prints its port, and the tests
        // run in parallel on a cooperative pool as wide as the machine's cores (two here).
        let server = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try StandIn(chunkDelayMilliseconds: chunkDelayMilliseconds, contextLength: contextLength) })
            }
        }
        defer { server.stop() }
        try await body(server)
    }

    private init(chunkDelayMilliseconds: Int, contextLength: Int) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("ollama-standin-\(UUID().uuidString).log").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script, "--port", "0", "--log", logPath, "--chunk-delay-ms", String(chunkDelayMilliseconds),
                             "--context-length", String(contextLength), "--exit-with-parent"]
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        try process.run()
        // Its first line, {"port": N}, says it listens.
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let port = object["port"] as? Int else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw StandInError.noPort(String(decoding: line, as: UTF8.self))
        }
        self.port = port
        client = try OllamaClient(baseURL: "http://127.0.0.1:\(port)")
    }

    /// SIGKILL, not `terminate()`: a child of Foundation's Process on Linux starts with SIGTERM
    /// blocked (it inherits the spawning thread's signal mask), so SIGTERM would leave it running.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// The requests the stand-in logged, oldest first.
    func loggedRequests() throws -> [[String: Any]] {
        try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    enum StandInError: Error { case noPort(String) }
}

/// Sockets for the tests that need no server (a closed port) or a silent one.
enum LocalSocket {
    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let socket = try listening()
        close(socket.fd)
        return socket.port
    }

    /// A loopback socket that listens and never accepts.
    static func listening() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A loopback server for one connection that sends `answer` the moment it has read the request's
    /// head (before any body), ends its side (FIN), then reads whatever the client sends until the client closes (so the client sees
    /// the answer and an end, never a reset). `finished` is signalled once it has closed.
    static func answeringAtOnce(_ answer: String) throws -> (port: Int, finished: DispatchSemaphore) {
        let socket = try listening()
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { close(socket.fd); finished.signal() }
            let connection = accept(socket.fd, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            // Patient: on a loaded machine (the whole suite at once) a client may take seconds to
            // send its head or the rest of its body; the timeout only keeps a broken test from hanging.
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var sink = [UInt8](repeating: 0, count: 4096), head: [UInt8] = []
            while !head.suffix(4).elementsEqual("\r\n\r\n".utf8) {
                let count = recv(connection, &sink, 1, 0)  // a byte at a time: the answer goes out the moment the head is in
                guard count > 0 else { return }
                head.append(sink[0])
            }
            let bytes = Array(answer.utf8)
            _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            shutdown(connection, Int32(SHUT_WR))
            while recv(connection, &sink, sink.count, 0) > 0 {}
        }
        return (socket.port, finished)
    }

    /// TCP connections on loopback with `port` at either end that are still open (ESTABLISHED or
    /// CLOSE_WAIT), from /proc/net/tcp: the connection is closed once neither end holds it open.
    static func openConnections(toPort port: Int) -> Int {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return 0 }
        let hexPort = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().filter { row in
            let fields = row.split(separator: " ")
            guard fields.count > 3 else { return false }
            let state = fields[3]
            return (fields[1].hasSuffix(hexPort) || fields[2].hasSuffix(hexPort)) && (state == "01" || state == "08")
        }.count
    }
}
