import CZstd

/// zstd compression of whole buffers, with a hard limit on what decompression may produce
/// (a small frame must not be able to claim gigabytes).
public enum Zstd {
    /// Compresses `bytes`; the frame records the original size.
    public static func compress(_ bytes: [UInt8], level: Int32 = 3) -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
        }
        precondition(ZSTD_isError(n) == 0, "zstd cannot fail to compress into its own bound")
        out.removeLast(out.count - n)
        return out
    }

    /// Decompresses one frame whose recorded size is at most `maxSize` bytes.
    public static func decompress(_ bytes: [UInt8], maxSize: Int) throws(ZstdError) -> [UInt8] {
        let size = bytes.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        guard size != ZSTD_CONTENTSIZE_ERROR else { throw .notZstd }
        guard size != ZSTD_CONTENTSIZE_UNKNOWN else { throw .unknownSize }
        guard size <= UInt64(maxSize) else { throw .tooLarge(declared: size, limit: maxSize) }
        var out = [UInt8](repeating: 0, count: Int(size))
        let n = out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count) }
        }
        guard ZSTD_isError(n) == 0, n == Int(size) else { throw .corrupt }
        return out
    }
}

public enum ZstdError: Error, Equatable, CustomStringConvertible {
    case notZstd
    case unknownSize
    case tooLarge(declared: UInt64, limit: Int)
    case corrupt

    public var description: String {
        switch self {
        case .notZstd: "not a zstd frame"
        case .unknownSize: "zstd frame without its size"
        case let .tooLarge(declared, limit): "zstd frame of \(declared) bytes exceeds the limit of \(limit)"
        case .corrupt: "corrupt zstd frame"
        }
    }
}
