import Sodium
import Foundation
import Synchronization
import Wire

/// The web page's files (the top-level `Web/` folder): finds the file a URL path names, never one
/// outside the folder, and keeps each file read once with its gzip form and ETag.
///
/// Rules it keeps:
/// - A path is split on `/`; each segment is percent-decoded once and refused when it is empty,
///   `.` or `..`, starts with a dot (hidden files), or holds `/`, `\` or NUL after decoding. At most
///   `maxSegments` segments of `maxSegmentBytes` each.
/// - The file found is resolved through symbolic links and must still lie inside the folder (a link
///   pointing out is refused), be a regular file, and be at most `maxFileBytes` long.
/// - `/` is `index.html`. Only the extensions of `contentTypes` are served.
/// Every refusal looks like "not here", so probing tells an attacker nothing.
public final class WebPage: Sendable {
    public static let maxSegments = 16
    public static let maxSegmentBytes = 255
    /// Bytes of the largest file served (the vendored libraries are under 1 MiB).
    public static let maxFileBytes = 8 << 20
    /// Files kept in memory at once; the page has a few dozen.
    public static let maxCachedFiles = 512

    /// Content types by extension; anything else is not served.
    public static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "json": "application/json", "md": "text/markdown; charset=utf-8",
        "txt": "text/plain; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon",
        "webmanifest": "application/manifest+json", "woff2": "font/woff2",
    ]
    /// Types worth compressing.
    static let compressible: Set<String> = ["html", "js", "mjs", "css", "json", "md", "txt", "svg", "webmanifest"]

    /// The folder, with every symbolic link in its path resolved.
    public let root: URL

    public struct File: Sendable {
        public let bytes: [UInt8]
        public let gzip: [UInt8]?
        public let contentType: String
        public let etag: String
        let modified: Date
    }

    private let cache = Mutex<[String: File]>([:])

    /// nil when `folder` is not a readable folder.
    public init?(folder: URL) {
        let resolved = folder.standardizedFileURL.resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        root = resolved
    }

    /// The relative path a URL path names, or nil when it is refused (see the rules above).
    public static func relativePath(_ urlPath: String) -> [String]? {
        guard urlPath.hasPrefix("/") else { return nil }
        if urlPath == "/" { return ["index.html"] }
        let raw = urlPath.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard raw.count <= maxSegments else { return nil }
        var out: [String] = []
        for part in raw {
            guard let segment = String(part).removingPercentEncoding, !segment.isEmpty, segment.utf8.count <= maxSegmentBytes,
                  !segment.hasPrefix("."), !segment.contains("/"), !segment.contains("\\"), !segment.contains("\0") else { return nil }
            out.append(segment)
        }
        return out
    }

    /// The file `urlPath` names, or nil when there is none or it is refused.
    public func file(_ urlPath: String) -> File? {
        guard let segments = Self.relativePath(urlPath), let ext = segments.last?.split(separator: ".").last.map(String.init),
              let type = Self.contentTypes[ext.lowercased()] else { return nil }
        let url = segments.reduce(root) { $0.appendingPathComponent($1) }.resolvingSymlinksInPath()
        guard url.path.hasPrefix(root.path + "/"),
              let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, size <= Self.maxFileBytes else { return nil }
        let modified = attributes[.modificationDate] as? Date ?? .distantPast
        let key = url.path
        if let cached = cache.withLock({ $0[key] }), cached.modified == modified, cached.bytes.count == size { return cached }
        guard let data = FileManager.default.contents(atPath: url.path), data.count <= Self.maxFileBytes else { return nil }
        let bytes = [UInt8](data)
        let digest = SHA256.hash(bytes).prefix(12).map { String(format: "%02x", $0) }.joined()
        let gzip = Self.compressible.contains(ext.lowercased()) && bytes.count > 256 ? Deflate.compress(bytes, wrapper: .gzip, level: 9) : nil
        let file = File(bytes: bytes, gzip: gzip.flatMap { $0.count < bytes.count ? $0 : nil }, contentType: type,
                        etag: "\"\(digest)\"", modified: modified)
        cache.withLock { files in
            if files.count >= Self.maxCachedFiles { files.removeAll() }
            files[key] = file
        }
        return file
    }
}
