import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The folder that holds everything one node owns: identity key, database, lock.
///
/// Opening it takes an exclusive `flock` on `node.lock` for the life of the process, so a
/// second node on the same folder fails at once (naming the other pid) instead of sharing a
/// database. The lock is released by the kernel when the process exits, even after `kill -9`:
/// a stale lock file never blocks a restart.
public final class DataFolder: Sendable {
    public static let defaultPath = ".elohim"
    public static let lockFileName = "node.lock"

    /// Absolute path of the folder.
    public let url: URL
    private let lockDescriptor: Int32

    /// Creates the folder (mode 0700) when missing and takes its lock.
    public init(path: String) throws(DataFolderError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.url = url
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .notAFolder(url.path) }
        } else {
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotCreate(url.path, reason: "\(error.localizedDescription)")
            }
        }
        let lockPath = url.appendingPathComponent(Self.lockFileName).path
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreate(lockPath, reason: String(cString: strerror(errno))) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readPid(fd)
            close(fd)
            throw .inUse(url.path, pid: holder)
        }
        // Record our pid for the message a second process prints.
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        lockDescriptor = fd
    }

    deinit {
        _ = ftruncate(lockDescriptor, 0)
        close(lockDescriptor)
    }

    /// A file inside the folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    private static func readPid(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Why the data folder cannot be used. Each message names the folder and what to do.
public enum DataFolderError: Error, Equatable, CustomStringConvertible {
    case inUse(String, pid: Int32?)
    case notAFolder(String)
    case cannotCreate(String, reason: String)

    public var description: String {
        switch self {
        case let .inUse(path, pid):
            let who = pid.map { "process \($0)" } ?? "another process"
            return "data folder \(path) is in use by \(who). Stop that node first, or start this one "
                + "with a different --data-dir."
        case let .notAFolder(path):
            return "\(path) exists and is not a folder. Pass a folder path to --data-dir."
        case let .cannotCreate(path, reason):
            return "cannot create \(path): \(reason). Check the permissions of its parent folder."
        }
    }
}
