/// A `HOST:PORT` pair as typed on the command line: `0.0.0.0:7946`, `localhost:8000`,
/// `[::1]:7946`. Port 0 asks the system for a free port.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; IPv6 hosts go in brackets.
    public init(parsing text: String) throws(HostPortError) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .invalid(text, reason: "an IPv6 address must be written [ADDRESS]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalid(text, reason: "expected HOST:PORT, for example 127.0.0.1:7946")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .invalid(text, reason: "the host is empty") }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .invalid(text, reason: "the port must be a number from 0 to 65535")
        }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public enum HostPortError: Error, Equatable, CustomStringConvertible {
    case invalid(String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(text, reason): "'\(text)' is not a valid address: \(reason)"
        }
    }
}
