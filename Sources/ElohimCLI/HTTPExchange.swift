import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 exchange with a node's API over a plain TCP socket, for the CLI.
///
/// Why not URLSession: on Linux it runs libcurl's multi loop, which spins while it waits for an
/// answer — `elohim join` waiting ten seconds for mDNS used 73% of a core doing nothing. Here
/// every wait is a `poll(2)` with the time left, so a waiting CLI uses no CPU. The node's API is
/// plain HTTP on loopback or the LAN (no TLS), one request per connection (`Connection: close`).
///
/// Limits: the answer's header 64 KiB, its body `maxBody` bytes; a deadline on the whole exchange.
enum HTTPExchange {
    static let maxHeaderBytes = 64 * 1024
    static let maxBody = 1 << 30

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
    }

    /// Runs the exchange on a thread of its own (it blocks in `poll`), and returns its answer.
    static func send(_ url: URL, method: String, headers: [(String, String)], body: [UInt8]?, timeout: TimeInterval)
        async throws(HTTPFailure) -> Answer {
        let result: Result<Answer, HTTPFailure> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do { continuation.resume(returning: .success(try exchange(url, method: method, headers: headers, body: body, timeout: timeout))) }
                catch let e as HTTPFailure { continuation.resume(returning: .failure(e)) }
                catch { continuation.resume(returning: .failure(.io("\(error)"))) }
            }
        }
        return try result.get()
    }

    static func exchange(_ url: URL, method: String, headers: [(String, String)], body: [UInt8]?, timeout: TimeInterval) throws -> Answer {
        let deadline = Date().addingTimeInterval(timeout)
        let (fd, address) = try sendRequest(url, method: method, headers: headers, body: body ?? [], deadline: deadline)
        defer { close(fd) }
        return try readAnswer(fd, address: address, deadline: deadline)
    }

    /// Connects to `url`'s host and sends the request: the open socket (the caller closes it)
    /// and the address as errors name it.
    static func sendRequest(_ url: URL, method: String, headers: [(String, String)], body: [UInt8],
                            deadline: Date) throws -> (fd: Int32, address: String) {
        guard let host = url.host, !host.isEmpty else { throw HTTPFailure.badURL(url.absoluteString) }
        let port = url.port ?? 80
        let address = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let fd = try connect(host: host, port: port, address: address, deadline: deadline)
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\nUser-Agent: elohim-cli\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        do { try write(fd, Array(head.utf8) + body, address: address, deadline: deadline) } catch {
            close(fd)
            throw error
        }
        return (fd, address)
    }

    // MARK: Socket steps, each waiting in poll(2) with the time left

    static func connect(host: String, port: Int, address: String, deadline: Date) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(bitPattern: SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw HTTPFailure.cannotResolve(host) }
        defer { freeaddrinfo(list) }
        var refused = false
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let ai = candidate {
            candidate = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(bitPattern: SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return fd }
            if errno == EINPROGRESS {
                _ = try wait(fd, for: Int16(POLLOUT), address: address, deadline: deadline)
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return fd }
                refused = refused || error == ECONNREFUSED
            } else {
                refused = refused || errno == ECONNREFUSED
            }
            close(fd)
        }
        throw refused ? HTTPFailure.refused(address) : HTTPFailure.unreachable(address)
    }

    /// Waits until `fd` is ready for `events`; false when it reported an error or hang-up only.
    static func wait(_ fd: Int32, for events: Int16, address: String, deadline: Date) throws -> Bool {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw HTTPFailure.timedOut(address) }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&p, 1, Int32(min(left * 1000, Double(Int32.max))) + 1)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { continue }
            return p.revents & events != 0 || p.revents & Int16(POLLHUP) != 0 && events == Int16(POLLIN)
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8], address: String, deadline: Date) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { _ = try wait(fd, for: Int16(POLLOUT), address: address, deadline: deadline); continue }
            throw HTTPFailure.closed(address)
        }
    }

    /// Reads up to 64 KiB; empty at the end of the stream.
    static func read(_ fd: Int32, address: String, deadline: Date) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n >= 0 { return Array(buffer.prefix(n)) }
            guard errno == EAGAIN || errno == EINTR else { throw HTTPFailure.closed(address) }
            _ = try wait(fd, for: Int16(POLLIN), address: address, deadline: deadline)
        }
    }

    // MARK: The answer

    /// An answer's status line and headers (names lower-cased), and the bytes read past them.
    struct Head {
        var status: Int
        var headers: [String: String]
        var rest: [UInt8]

        var isChunked: Bool { headers["transfer-encoding"]?.lowercased().contains("chunked") == true }
    }

    static func readHead(_ fd: Int32, address: String, deadline: Date) throws -> Head {
        var data: [UInt8] = []
        var headerEnd: Int?
        while headerEnd == nil {
            let more = try read(fd, address: address, deadline: deadline)
            guard !more.isEmpty else { throw data.isEmpty ? HTTPFailure.closed(address) : HTTPFailure.notHTTP(address) }
            data += more
            headerEnd = find([13, 10, 13, 10], in: data)
            if headerEnd == nil && data.count > maxHeaderBytes { throw HTTPFailure.notHTTP(address) }
        }
        let head = String(decoding: data[..<headerEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else { throw HTTPFailure.notHTTP(address) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers, rest: Array(data[(headerEnd! + 4)...]))
    }

    static func readAnswer(_ fd: Int32, address: String, deadline: Date) throws -> Answer {
        let head = try readHead(fd, address: address, deadline: deadline)
        let (status, headers) = (head.status, head.headers)
        var rest = head.rest
        func readToEnd(atLeast: Int? = nil) throws {
            while atLeast.map({ rest.count < $0 }) ?? true {
                let more = try read(fd, address: address, deadline: deadline)
                if more.isEmpty { break }
                rest += more
                guard rest.count <= maxBody + 64 * 1024 else { throw HTTPFailure.tooLarge(address) }
            }
        }
        if head.isChunked {
            try readToEnd()
            return Answer(status: status, headers: headers, body: try dechunk(rest, address: address))
        }
        if let length = headers["content-length"].flatMap(Int.init) {
            guard length <= maxBody else { throw HTTPFailure.tooLarge(address) }
            try readToEnd(atLeast: length)
            guard rest.count >= length else { throw HTTPFailure.closed(address) }
            return Answer(status: status, headers: headers, body: Array(rest.prefix(length)))
        }
        try readToEnd()
        return Answer(status: status, headers: headers, body: rest)
    }

    static func dechunk(_ bytes: [UInt8], address: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var at = 0
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: at),
                  let size = Int(String(decoding: bytes[at..<lineEnd], as: UTF8.self).split(separator: ";").first ?? "", radix: 16)
            else { throw HTTPFailure.notHTTP(address) }
            at = lineEnd + 2
            if size == 0 { return out }
            guard at + size <= bytes.count else { throw HTTPFailure.closed(address) }
            out += bytes[at..<at + size]
            at += size + 2
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count >= needle.count + start else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<i + needle.count]) == needle {
            return i
        }
        return nil
    }
}

/// Why an exchange with the node failed, for the person at the keyboard; the caller adds which
/// flag or file chose the address.
enum HTTPFailure: Error, Equatable, CustomStringConvertible {
    case badURL(String)
    case cannotResolve(String)
    case refused(String)
    case unreachable(String)
    case timedOut(String)
    case closed(String)
    case notHTTP(String)
    case tooLarge(String)
    case io(String)

    var description: String {
        switch self {
        case let .badURL(u): "'\(u)' is not an http:// address"
        case let .cannotResolve(h): "the name \(h) does not resolve to an address"
        case let .refused(a): "nothing listens at \(a) (connection refused)"
        case let .unreachable(a): "\(a) cannot be reached"
        case let .timedOut(a): "\(a) did not answer in time"
        case let .closed(a): "\(a) closed the connection before answering"
        case let .notHTTP(a): "\(a) did not answer in HTTP: is it the node's mesh port rather than its HTTP port?"
        case let .tooLarge(a): "\(a) sent more than \(HTTPExchange.maxBody / (1 << 20)) MiB"
        case let .io(why): why
        }
    }
}
