import Foundation

/// A session's input and output written down as it happens, when the node logs terminal I/O
/// (`--terminal-log-days N`), in asciinema's asciicast v2 format (a JSON header line, then one
/// `[seconds, "o"|"i"|"r"|"m", "data"]` line per event; `asciinema play FILE` replays it).
///
/// Rules: the file is made owner-only (0600) and never follows a link; it holds at most
/// `maxBytes`, after which one `"m"` line says the rest was not logged and nothing more is
/// written (a session that prints forever cannot fill the disk); bytes that are not UTF-8 are
/// written as U+FFFD (the format holds text; the exact bytes are not kept). A failed write
/// stops the transcript and is reported once by `failure`; the session goes on.
public final class TerminalTranscript: @unchecked Sendable {
    public static let defaultMaxBytes = 64 << 20
    public let path: String
    public let maxBytes: Int
    private let handle: FileHandle
    private let startedAt: ContinuousClock.Instant
    private let lock = NSLock()
    private var written = 0
    private var stopped = false
    /// Why the transcript stopped early (a write failed), when it did.
    public private(set) var failure: String?

    /// Creates `path` (which must not exist yet) and writes the header.
    public init(path: String, cols: Int, rows: Int, command: [String], startedAtSeconds: UInt64, maxBytes: Int = defaultMaxBytes) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot create \(path): \(String(cString: strerror(errno)))"]) }
        self.path = path
        self.maxBytes = maxBytes
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        startedAt = .now
        let header: [String: Any] = ["version": 2, "width": cols, "height": rows, "timestamp": startedAtSeconds,
                                     "command": command.joined(separator: " ")]
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        append(json + Data("\n".utf8))
    }

    public func output(_ bytes: [UInt8]) { event("o", String(decoding: bytes, as: UTF8.self)) }
    public func input(_ bytes: [UInt8]) { event("i", String(decoding: bytes, as: UTF8.self)) }
    public func resized(cols: Int, rows: Int) { event("r", "\(cols)x\(rows)") }
    public func marker(_ text: String) { event("m", text) }

    public var bytesWritten: Int { lock.withLock { written } }

    public func close() { lock.withLock { stopped = true; try? handle.close() } }

    private func event(_ kind: String, _ text: String) {
        let elapsed = ContinuousClock.now - startedAt
        let seconds = ((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 1e6).rounded() / 1e6
        append(Self.line(seconds, kind, text), at: seconds)
    }

    private static func line(_ seconds: Double, _ kind: String, _ text: String) -> Data {
        let data = (try? JSONSerialization.data(withJSONObject: [seconds, kind, text], options: [.withoutEscapingSlashes])) ?? Data()
        return data + Data("\n".utf8)
    }

    private func append(_ line: Data, at seconds: Double = 0) {
        lock.withLock {
            guard !stopped else { return }
            if written + line.count > maxBytes {
                try? handle.write(contentsOf: Self.line(seconds, "m", "the transcript reached its limit of \(maxBytes) bytes; nothing after this point was logged"))
                stopped = true
                return
            }
            do {
                try handle.write(contentsOf: line)
                written += line.count
            } catch {
                failure = "\(error)"
                stopped = true
            }
        }
    }
}
