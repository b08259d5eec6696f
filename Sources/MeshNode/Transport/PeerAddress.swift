import Wire

/// A peer given on the command line: `HOST:PORT`, or `NODEID@HOST:PORT` to pin the identity
/// that must answer there.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: HostPort
    public var pinned: NodeID?

    public init(address: HostPort, pinned: NodeID? = nil) {
        self.address = address
        self.pinned = pinned
    }

    public init(parsing text: String) throws(PeerAddressError) {
        var rest = Substring(text)
        if let at = text.firstIndex(of: "@") {
            do { pinned = try NodeID(parsing: String(text[..<at])) } catch { throw .badNodeID(text, error) }
            rest = text[text.index(after: at)...]
        }
        do { address = try HostPort(parsing: String(rest)) } catch { throw .badAddress(text, error) }
        guard address.port != 0 else { throw .badAddress(text, .invalid(String(rest), reason: "a peer's port cannot be 0")) }
    }

    public var description: String { pinned.map { "\($0)@\(address)" } ?? address.description }
}

public enum PeerAddressError: Error, CustomStringConvertible {
    case badNodeID(String, NodeIDParseError)
    case badAddress(String, HostPortError)

    public var description: String {
        switch self {
        case let .badNodeID(text, e): "--peer \(text): \(e)"
        case let .badAddress(text, e): "--peer \(text): \(e). Write HOST:PORT or NODEID@HOST:PORT."
        }
    }
}
