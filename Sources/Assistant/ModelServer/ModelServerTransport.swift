import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Time limits of an exchange with a model server.
public struct ModelServerTimeouts: Sendable, Hashable {
    /// To open the TCP connection. Short: a server on this machine or the LAN answers at once or not at all.
    public var connect: Duration = .seconds(3)
    /// From the connection to the answer's first byte. Long: Ollama answers a chat only once the model
    /// is loaded, and loading a large model from disk takes a minute or more.
    public var firstByte: Duration = .seconds(120)
    /// Between two lines of a streamed answer (or two parts of a whole one): a model that produced
    /// nothing for this long has stalled.
    public var idle: Duration = .seconds(120)

    public init(connect: Duration = .seconds(3), firstByte: Duration = .seconds(120), idle: Duration = .seconds(120)) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
    }
}

/// Size limits of an answer, so a broken or hostile server cannot make this process hold without bound.
public struct ModelServerLimits: Sendable, Hashable {
    /// One line of a streamed answer (a chat piece or a pull progress line is a few hundred bytes).
    public var maxLineBytes: Int = 1 << 20
    /// A whole answer that is not streamed (a model list, a model's description, a batch of embeddings).
    public var maxBodyBytes: Int = 16 << 20

    public init(maxLineBytes: Int = 1 << 20, maxBodyBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
        self.maxBodyBytes = maxBodyBytes
    }
}

/// One HTTP/1.1 request and its answer over a connection of its own, on NIO.
///
/// Why a connection per request (`Connection: close`): a model server is on loopback or the LAN, so
/// opening one costs well under a millisecond next to a model's answer, and closing the connection is
/// then the one way to stop an answer, which is how a stream the caller no longer reads is cancelled.
struct ModelServerTransport: Sendable {
    let address: ModelServerAddress
    let timeouts: ModelServerTimeouts
    let limits: ModelServerLimits
    let group: any EventLoopGroup

    /// Reads an answer's events; `status` is known before `exchange`'s body runs.
    struct Reader {
        let status: Int
        var events: NIOAsyncChannelInboundStream<ResponseEvent>.AsyncIterator

        /// The next line of a `.lines` answer; nil once the answer is complete.
        mutating func nextLine() async throws -> ByteBuffer? {
            switch try await nextEvent() {
            case .line(let line): return line
            case .end: return nil
            case .head, .body: throw ModelServerError.badResponse("an answer event out of order")
            }
        }

        /// The whole body of a `.whole` answer.
        mutating func wholeBody() async throws -> ByteBuffer {
            guard case .body(let body) = try await nextEvent() else { throw ModelServerError.badResponse("an answer without a body") }
            return body
        }

        /// Everything left, as text (an error answer's body), whichever the mode.
        mutating func remainingText() async throws -> String {
            var text = ""
            while true {
                switch try await nextEvent() {
                case .line(let line): text += String(buffer: line) + "\n"
                case .body(let body): text += String(buffer: body)
                case .head: break
                case .end: return text
                }
            }
        }

        private mutating func nextEvent() async throws -> ResponseEvent {
            guard let event = try await events.next() else {
                try Task.checkCancellation()
                throw ModelServerError.badResponse("the connection closed before the answer was complete")
            }
            return event
        }
    }

    /// Sends `method path` with `json` as its body, then runs `read` on the answer; the connection is
    /// closed when `read` returns or throws, and when the calling task is cancelled.
    func exchange<Result: Sendable>(_ method: HTTPMethod, _ path: String, json: [UInt8]?, mode: ResponseHandler.Mode,
                                    read: (inout Reader) async throws -> Result) async throws -> Result {
        let failure = FailureRecord()
        let channel = try await connect(mode: mode, failure: failure)
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
                head.headers.add(name: "Host", value: address.description.dropFirst("http://".count).description)
                head.headers.add(name: "User-Agent", value: "elohim")
                head.headers.add(name: "Accept", value: "application/json, application/x-ndjson")
                head.headers.add(name: "Connection", value: "close")
                if let json {
                    head.headers.add(name: "Content-Type", value: "application/json")
                    head.headers.add(name: "Content-Length", value: String(json.count))
                }
                // One write, one flush: the server may answer and close as soon as it has the request,
                // and a part written after that would fail ("I/O on closed channel") although the
                // answer is there to read. For the same reason a failed write is not the outcome:
                // what the server answered (or that it answered nothing) is.
                var request: [HTTPClientRequestPart] = [.head(head)]
                if let json { request.append(.body(.byteBuffer(ByteBuffer(bytes: json)))) }
                request.append(.end(nil))
                try? await outbound.write(contentsOf: request)

                var events = inbound.makeAsyncIterator()
                guard let first = try await events.next() else {
                    try Task.checkCancellation()
                    throw ModelServerError.badResponse("the connection closed before any answer")
                }
                guard case .head(let status) = first else { throw ModelServerError.badResponse("an answer without a status line") }
                var reader = Reader(status: status, events: events)
                return try await read(&reader)
            }
        } catch {
            if let reason = failure.error { throw reason }
            if let error = error as? ModelServerError { throw error }
            try Task.checkCancellation()
            throw ModelServerError.badResponse("the exchange failed: \(error)")
        }
    }

    private func connect(mode: ResponseHandler.Mode, failure: FailureRecord) async throws -> NIOAsyncChannel<ResponseEvent, HTTPClientRequestPart> {
        let firstByte = TimeAmount(timeouts.firstByte), idle = TimeAmount(timeouts.idle)
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeouts.connect))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseHandler(mode: mode, firstByte: firstByte, idle: idle, failure: failure))
                        return try NIOAsyncChannel<ResponseEvent, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try Task.checkCancellation()
            throw ModelServerError.unreachable(url: address.description, underlying: Self.explain(connectError: error, timeout: timeouts.connect))
        }
    }

    /// A connect failure in a person's words: "connection refused", "no answer within 3 s", ….
    static func explain(connectError error: any Error, timeout: Duration) -> String {
        if let error = error as? ChannelError, case .connectTimeout = error { return "no answer within \(timeout.components.seconds) s" }
        if let error = error as? NIOConnectionError {
            if let inner = error.connectionErrors.first?.error { return explain(connectError: inner, timeout: timeout) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "the host name \(error.host) does not resolve" }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }
}
