import Foundation
import Terminal

/// Why a terminal request was refused; each case says what the user can do.
public enum TerminalServiceError: Error, Equatable, CustomStringConvertible {
    case table(SessionTableError)
    case pty(PTYError)
    case commandTooLong(limit: Int)
    /// The audit trail could not record the start: no session runs unaudited.
    case auditUnavailable
    /// I/O logging is on and the session's transcript could not be made: no session runs unlogged.
    case transcriptUnavailable(String)

    public var description: String {
        switch self {
        case .auditUnavailable: "the node cannot write its audit trail, so it starts no terminal; see the node's log"
        case let .transcriptUnavailable(why):
            "terminal I/O logging is on and the transcript cannot be made (\(why)), so no terminal starts; free the disk or start the node without --terminal-log-days"
        case let .table(e): e.description
        case let .pty(e): e.description
        case let .commandTooLong(limit): "the command is longer than \(limit) bytes"
        }
    }
}

/// What the API shows of one session.
public struct TerminalSessionInfo: Sendable, Equatable, Codable {
    public let id: String
    public let command: [String]
    public let startedMs: UInt64
    public let lastActiveMs: UInt64
    public let attached: Int
    public let pid: Int32
    /// Nil while the process runs.
    public let exit: Exit?
    public let bytesIn: UInt64
    public let bytesOut: UInt64

    public struct Exit: Sendable, Equatable, Codable {
        public let code: Int32?
        public let signal: Int32?
        public init(_ s: ExitStatus) {
            switch s {
            case let .exited(c): code = c; signal = nil
            case let .signalled(n): code = nil; signal = n
            }
        }
    }
}

/// The node's terminals: the shell around `SessionTable` (who owns which session, the limit
/// per person, idle expiry), the live `TerminalSession`s and the audit trail.
///
/// Rules: a session runs `command` through `/bin/sh -c`, or `shell` when none is given, in the
/// workspace folder; it belongs to the caller who opened it and is invisible to anyone else
/// (another person's session is "not found"); it ends on DELETE, when its process exits and it
/// is then deleted or idle, or after `idleTimeoutMs` with no client attached and no input.
/// Start and end are audited (`terminal.start`, `terminal.end`, with the bytes typed in and
/// written out, and how it ended). Both fail closed: a start the audit cannot record is refused.
/// The bytes themselves are logged only when `transcripts` is given (`--terminal-log-days N`):
/// one asciicast file per session in its folder, kept N days after its last write, then deleted
/// by `sweep`; a session whose transcript cannot be made does not start.
public actor TerminalService {
    /// Where and how long session transcripts are kept, when the node logs terminal I/O.
    public struct TranscriptPolicy: Sendable {
        public let folder: String
        public let days: Int
        public let maxBytes: Int
        public init(folder: String, days: Int, maxBytes: Int = TerminalTranscript.defaultMaxBytes) {
            self.folder = folder; self.days = days; self.maxBytes = maxBytes
        }
    }

    public static let maxCommandBytes = 4096
    /// The folder sessions start in and the editor's files live in (links resolved).
    public nonisolated let workspace: String
    public nonisolated let shell: [String]
    private var table: SessionTable
    private var live: [String: TerminalSession] = [:]
    private let services: NodeServices
    public nonisolated let transcripts: TranscriptPolicy?

    public init(workspace: String, limits: TerminalLimits = TerminalLimits(), shell: [String]? = nil,
                transcripts: TranscriptPolicy? = nil, services: NodeServices) {
        self.transcripts = transcripts
        self.workspace = WorkspacePath(root: workspace).root
        self.shell = shell ?? [ProcessInfo.processInfo.environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"]
        table = SessionTable(limits: limits)
        self.services = services
    }

    public var limits: TerminalLimits { table.limits }

    /// Opens a session for `caller` with a terminal of `cols`×`rows`.
    public func open(for caller: Caller, command: String?, cols: Int, rows: Int, client: String = "") async throws(TerminalServiceError) -> TerminalSessionInfo {
        if let command, command.utf8.count > Self.maxCommandBytes { throw .commandTooLong(limit: Self.maxCommandBytes) }
        let argv = command.map { ["/bin/sh", "-c", $0] } ?? shell
        let id = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let now = services.clock()
        do { try table.open(id: id, owner: caller.auditName, nowMs: now) } catch { throw .table(error) }
        let pty: PTYProcess
        do {
            pty = try PTYProcess(argv: argv, directory: workspace, cols: cols, rows: rows)
        } catch {
            table.close(id)
            throw .pty(error)
        }
        var transcript: TerminalTranscript?
        if let transcripts {
            do {
                try FileManager.default.createDirectory(atPath: transcripts.folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                transcript = try TerminalTranscript(path: (transcripts.folder as NSString).appendingPathComponent("\(id).cast"), cols: cols, rows: rows,
                                                    command: argv, startedAtSeconds: now / 1000, maxBytes: transcripts.maxBytes)
            } catch {
                await pty.close(grace: .zero)
                table.close(id)
                throw .transcriptUnavailable(error.localizedDescription)
            }
        }
        let logged = transcript.map { " (I/O logged to \(($0.path as NSString).lastPathComponent))" } ?? ""
        guard audit(caller.auditName, "terminal.start", "\(id): \(argv.joined(separator: " ")) in \(workspace)\(logged)", client: client) else {
            await pty.close(grace: .zero)
            transcript?.close()
            table.close(id)
            throw .auditUnavailable
        }
        let session = TerminalSession(id: id, command: argv, startedMs: now, pty: pty, scrollbackBytes: table.limits.scrollbackBytes,
                                      transcript: transcript)
        live[id] = session
        return TerminalSessionInfo(id: id, command: argv, startedMs: now, lastActiveMs: now, attached: 0, pid: pty.pid, exit: nil,
                                   bytesIn: 0, bytesOut: 0)
    }

    /// The caller's sessions, oldest first.
    public func list(for caller: Caller) async -> [TerminalSessionInfo] {
        var out: [TerminalSessionInfo] = []
        for entry in table.sessions(of: caller.auditName) {
            guard let s = live[entry.id] else { continue }
            out.append(await info(entry.id, entry, s))
        }
        return out
    }

    /// The caller's session `id`, for attaching; not found when it is someone else's.
    public func session(_ id: String, for caller: Caller) throws(TerminalServiceError) -> TerminalSession {
        do { _ = try table.entry(id, owner: caller.auditName) } catch { throw .table(error) }
        guard let s = live[id] else { throw .table(.notFound(id)) }
        return s
    }

    public func attached(_ id: String) { table.attach(id, nowMs: services.clock()) }
    public func detached(_ id: String) { table.detach(id, nowMs: services.clock()) }
    /// Input or output happened: the session is not idle.
    public func touch(_ id: String) { table.touch(id, nowMs: services.clock()) }

    /// Ends the caller's session `id` (hang-up, then kill) and audits it.
    public func end(_ id: String, for caller: Caller) async throws(TerminalServiceError) -> TerminalSessionInfo {
        let s = try session(id, for: caller)
        return await finish(id, s, why: "ended by its owner")
    }

    /// Ends the sessions idle past the timeout (none attached, no input), and deletes the
    /// transcripts past their retention (at most once every `pruneEveryMs`: retention is in
    /// days, and the sweep runs every 30 s); returns the IDs of the sessions ended.
    @discardableResult public func sweep() async -> [String] {
        let now = services.clock()
        let expired = table.expired(nowMs: now)
        for id in expired { if let s = live[id] { _ = await finish(id, s, why: "idle") } else { table.close(id) } }
        // A clock set back prunes too, rather than waiting for it to catch up.
        if lastPruneMs.map({ now < $0 || now - $0 >= Self.pruneEveryMs }) ?? true {
            lastPruneMs = now
            pruneTranscripts()
        }
        return expired
    }

    /// How often a sweep looks for transcripts past their retention.
    public static let pruneEveryMs: UInt64 = 60 * 60 * 1000
    private var lastPruneMs: UInt64?

    /// Deletes the transcripts older than the retention (never a running session's); returns their names.
    @discardableResult public func pruneTranscripts() -> [String] {
        guard let transcripts, let names = try? FileManager.default.contentsOfDirectory(atPath: transcripts.folder) else { return [] }
        let files = names.filter { $0.hasSuffix(".cast") }.compactMap { name -> TranscriptRetention.File? in
            var info = stat()
            guard lstat((transcripts.folder as NSString).appendingPathComponent(name), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            return TranscriptRetention.File(name: name, modifiedMs: UInt64(max(info.st_mtim.tv_sec, 0)) * 1000 + UInt64(info.st_mtim.tv_nsec / 1_000_000))
        }
        let running = Set(live.keys.map { "\($0).cast" })
        let expired = TranscriptRetention(days: transcripts.days).expired(files, running: running, nowMs: services.clock())
        for name in expired { unlink((transcripts.folder as NSString).appendingPathComponent(name)) }
        if !expired.isEmpty { audit("node", "terminal.transcripts.pruned", "\(expired.count) transcripts older than \(transcripts.days) days") }
        return expired
    }

    /// Ends every session (the node is stopping).
    public func endAll() async {
        for id in live.keys.sorted() { if let s = live[id] { _ = await finish(id, s, why: "node stopped") } }
    }

    private func finish(_ id: String, _ s: TerminalSession, why: String) async -> TerminalSessionInfo {
        await s.end()
        let entry = table.entry(id)
        let result = await info(id, entry, s)
        table.close(id)
        live.removeValue(forKey: id)
        let status = result.exit.map { e in e.code.map { "exited with code \($0)" } ?? "killed by signal \(e.signal ?? 0)" } ?? "running"
        audit(entry?.owner ?? "unknown", "terminal.end", "\(id): \(why), \(status), \(result.bytesIn) B in, \(result.bytesOut) B out")
        return result
    }

    private func info(_ id: String, _ e: SessionTable.Entry?, _ s: TerminalSession) async -> TerminalSessionInfo {
        let exit = await s.exitStatus, bytesIn = await s.bytesIn, bytesOut = await s.bytesOut
        return TerminalSessionInfo(id: id, command: s.command, startedMs: s.startedMs, lastActiveMs: e?.lastActiveMs ?? s.startedMs,
                                   attached: e?.attached ?? 0, pid: s.pid, exit: exit.map(TerminalSessionInfo.Exit.init),
                                   bytesIn: bytesIn, bytesOut: bytesOut)
    }

    /// Records one audit entry; false when the audit trail cannot be written.
    @discardableResult
    private func audit(_ actor: String, _ action: String, _ resource: String, client: String = "") -> Bool {
        (try? services.record(AuditEntry(atMs: services.clock(), actor: actor, action: action, resource: resource, client: client,
                                         userAgent: "", outcome: "ok", status: 0))) != nil
    }
}
