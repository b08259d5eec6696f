/// Why bytes from a peer could not be read. Every case names what was wrong so the log line
/// that reports it is useful on its own.
public enum WireError: Error, Equatable, CustomStringConvertible {
    /// A frame's length prefix announced more than the limit.
    case frameTooLarge(declared: Int, limit: Int)
    /// The envelope or the message inside it is not valid protobuf.
    case malformed(what: String)
    /// The sender speaks a version below the minimum this node supports.
    case unsupportedVersion(UInt32)
    /// A newer kind this node does not know: counted and dropped, never an error for the link.
    case unknownKind(Int)
    /// A field has the wrong size or value.
    case badField(message: String, field: String, reason: String)

    public var description: String {
        switch self {
        case let .frameTooLarge(declared, limit):
            "frame of \(declared) bytes exceeds the limit of \(limit) bytes"
        case let .malformed(what):
            "malformed \(what)"
        case let .unsupportedVersion(v):
            "protocol version \(v) is below the minimum supported \(ProtocolVersion.minimumSupported)"
        case let .unknownKind(k):
            "unknown message kind \(k)"
        case let .badField(message, field, reason):
            "\(message).\(field): \(reason)"
        }
    }
}
