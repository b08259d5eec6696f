import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a workspace path was refused; each case says what the user can do.
public enum WorkspacePathError: Error, Equatable, CustomStringConvertible {
    case empty
    case containsNUL
    case tooLong(limit: Int)
    case absolute(String)
    case leavesWorkspace(String)
    case symlinkLeaves(String)

    public var description: String {
        switch self {
        case .empty: "the path is empty: name a file inside the workspace"
        case .containsNUL: "the path contains a NUL byte"
        case let .tooLong(limit): "the path is longer than \(limit) bytes (UTF-8)"
        case let .absolute(p): "'\(p)' is absolute: give a path relative to the workspace"
        case let .leavesWorkspace(p): "'\(p)' leaves the workspace (..)"
        case let .symlinkLeaves(p): "'\(p)' goes through a link that points outside the workspace"
        }
    }
}

/// Maps a path a client names to a file inside the workspace, or refuses it. The rules: not
/// empty, no NUL, at most `maxBytes` bytes, relative, no `..` that climbs out, and no symbolic
/// link (at any level, the file itself included) that resolves outside the workspace.
public struct WorkspacePath: Sendable {
    public static let maxBytes = 1024
    /// The workspace folder, with its own links resolved.
    public let root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// The lexical check alone (no file system): the normalised relative components.
    public static func components(_ path: String) throws(WorkspacePathError) -> [String] {
        guard !path.isEmpty else { throw .empty }
        guard !path.utf8.contains(0) else { throw .containsNUL }
        guard path.utf8.count <= maxBytes else { throw .tooLong(limit: maxBytes) }
        guard !path.hasPrefix("/") else { throw .absolute(path) }
        var out: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !out.isEmpty else { throw .leavesWorkspace(path) }
                out.removeLast()
            default: out.append(String(part))
            }
        }
        guard !out.isEmpty else { throw .empty }
        return out
    }

    /// The absolute path of `path` inside the workspace, its links resolved and checked.
    /// Walks the components one by one: a link is resolved with realpath(3) and must land inside
    /// the workspace; a dangling link is refused (where a write would land cannot be checked);
    /// from the first missing component on, the rest is new and taken as written.
    public func resolve(_ path: String) throws(WorkspacePathError) -> String {
        let parts = try Self.components(path)
        var current = root
        for (i, part) in parts.enumerated() {
            let candidate = current + "/" + part
            var info = stat()
            guard lstat(candidate, &info) == 0 else {
                return ([current] + parts[i...]).joined(separator: "/")
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                guard let real = realpath(candidate, nil) else { throw .symlinkLeaves(path) }
                defer { free(real) }
                let target = String(cString: real)
                guard target == root || target.hasPrefix(root + "/") else { throw .symlinkLeaves(path) }
                current = target
            } else {
                current = candidate
            }
        }
        return current
    }
}
