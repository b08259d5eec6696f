/// Protocol versions (PROTOCOL.md section 3).
///
/// Every envelope carries the sender's version. A reader accepts any version from
/// `minimumSupported` up; newer senders may add fields and kinds, which older readers keep
/// (fields) or count and drop (kinds). Raising `minimumSupported` is the only breaking change
/// and needs a new major section in PROTOCOL.md.
public enum ProtocolVersion {
    public static let current: UInt32 = 1
    public static let minimumSupported: UInt32 = 1
}
