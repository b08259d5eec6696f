import Foundation

extension Data {
    /// The bytes as an array, copied in one `memcpy`. `Array(data)` walks the bytes one by one
    /// through `Sequence`, which made large payloads (sync batches) several times slower to read.
    public var byteArray: [UInt8] { withUnsafeBytes { Array($0) } }
}
