import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A POST whose answer is a stream of server-sent events (`text/event-stream`), read as it comes:
/// the node's answer to a question arrives piece by piece.
///
/// Rules it keeps: each event reaches `onEvent` as soon as its blank line arrives; the wait for
/// the next bytes is `idle` seconds, renewed by every read (an answer may take minutes, a silence
/// of `idle` means the node is gone); an answer that is not 2xx is read whole and returned for the
/// caller's usual error handling; an event is at most 1 MiB.
enum HTTPEventStream {
    static let maxEventBytes = 1 << 20

    static func post(_ url: URL, headers: [(String, String)], body: [UInt8], idle: TimeInterval,
                     onEvent: (String, Data) throws -> Void) throws -> HTTPExchange.Answer? {
        let (fd, address) = try HTTPExchange.sendRequest(url, method: "POST", headers: headers + [("Accept", "text/event-stream")],
                                                         body: body, deadline: Date().addingTimeInterval(idle))
        defer { close(fd) }
        let head = try HTTPExchange.readHead(fd, address: address, deadline: Date().addingTimeInterval(idle))
        let (status, chunked) = (head.status, head.isChunked)
        var rest = head.rest
        guard (200..<300).contains(status) else {
            while rest.count < maxEventBytes {
                let more = try HTTPExchange.read(fd, address: address, deadline: Date().addingTimeInterval(idle))
                if more.isEmpty { break }
                rest += more
            }
            return HTTPExchange.Answer(status: status, headers: head.headers, body: chunked ? (try? HTTPExchange.dechunk(rest, address: address)) ?? rest : rest)
        }

        var dechunker = Dechunker(chunked: chunked)
        var events = EventSplitter()
        var input = rest
        while true {
            let (body, finished) = try dechunker.feed(input, address: address)
            for (name, payload) in try events.feed(body) { try onEvent(name, payload) }
            if finished { return nil }
            input = try HTTPExchange.read(fd, address: address, deadline: Date().addingTimeInterval(idle))
            if input.isEmpty { return nil }
        }
    }

    /// Undoes chunked transfer encoding incrementally.
    struct Dechunker {
        let chunked: Bool
        var pending: [UInt8] = []
        var remaining = 0  // bytes left in the current chunk, then its CRLF
        var inData = false

        init(chunked: Bool) { self.chunked = chunked }

        mutating func feed(_ bytes: [UInt8], address: String) throws -> (body: [UInt8], finished: Bool) {
            guard chunked else { return (bytes, false) }
            pending += bytes
            var out: [UInt8] = []
            while true {
                if inData {
                    let take = min(remaining, pending.count)
                    out += pending[..<take]
                    pending.removeFirst(take)
                    remaining -= take
                    guard remaining == 0 else { return (out, false) }
                    guard pending.count >= 2 else { return (out, false) }  // wait for the CRLF
                    pending.removeFirst(2)
                    inData = false
                }
                guard let end = HTTPExchange.find([13, 10], in: pending) else {
                    if pending.count > 1024 { throw HTTPFailure.notHTTP(address) }
                    return (out, false)
                }
                guard let size = Int(String(decoding: pending[..<end], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) else {
                    throw HTTPFailure.notHTTP(address)
                }
                pending.removeFirst(end + 2)
                if size == 0 { return (out, true) }
                remaining = size
                inData = true
            }
        }
    }

    /// Splits `event: NAME` / `data: JSON` blocks at their blank line.
    struct EventSplitter {
        var buffer: [UInt8] = []

        mutating func feed(_ bytes: [UInt8]) throws -> [(String, Data)] {
            buffer += bytes
            var out: [(String, Data)] = []
            while let end = HTTPExchange.find([10, 10], in: buffer) {
                let block = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                var name = "message", data = ""
                for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
                    if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                    if line.hasPrefix("data:") { data += (data.isEmpty ? "" : "\n") + line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
                }
                out.append((name, Data(data.utf8)))
            }
            if buffer.count > HTTPEventStream.maxEventBytes { throw HTTPFailure.tooLarge("the event stream") }
            return out
        }
    }
}
