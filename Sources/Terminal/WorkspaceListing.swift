import Foundation

/// The files of a workspace the editor can open, for its file list.
///
/// Rules: regular files only, with their path relative to the root, sorted by path (bytes);
/// links are neither listed nor followed (the editor resolves each path again through
/// `WorkspacePath`, so a listing never has to judge where a link leads); at most `maxEntries`
/// files and `maxDepth` folders deep, with `truncated` set when either limit cut the walk, so a
/// workspace holding a million files answers in bounded time and memory.
public struct WorkspaceListing: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        public let path: String
        public let size: Int64
        public let modifiedMs: Int64
    }

    public let files: [Entry]
    public let truncated: Bool

    public static let defaultMaxEntries = 2000
    public static let defaultMaxDepth = 12

    public static func list(root: String, maxEntries: Int = defaultMaxEntries, maxDepth: Int = defaultMaxDepth) -> WorkspaceListing {
        var files: [Entry] = []
        var truncated = false
        // Breadth-first over folders, each folder's names sorted, so the walk itself is deterministic.
        var folders: [(relative: String, depth: Int)] = [("", 0)]
        var visited = 0
        while visited < folders.count {
            let (relative, depth) = folders[visited]
            visited += 1
            let absolute = relative.isEmpty ? root : (root as NSString).appendingPathComponent(relative)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolute) else { continue }
            for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat((root as NSString).appendingPathComponent(path), &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFREG:
                    guard files.count < maxEntries else { truncated = true; continue }
                    files.append(Entry(path: path, size: Int64(info.st_size),
                                       modifiedMs: Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec / 1_000_000)))
                case S_IFDIR:
                    if depth + 1 < maxDepth { folders.append((path, depth + 1)) } else { truncated = true }
                default: continue
                }
            }
            if files.count >= maxEntries, visited < folders.count { truncated = true; break }
        }
        files.sort { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        return WorkspaceListing(files: files, truncated: truncated)
    }
}
