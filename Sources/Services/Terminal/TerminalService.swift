import Foundation
import Terminal

/// Why a terminal request was refused; each case says what the user can do.
public enum TerminalServiceError: Error, Equatable, CustomStringConvertible {
    case table(SessionTableError)
    case pty(PTYError)
    case commandTooLong(limit: Int)

    public var description: String {
        switch self {
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
/// written out, and how it ended); the bytes themselves are not logged.
public actor TerminalService {
    public static let maxCommandBytes = 4096
    /// The folder sessions start in and the editor's files live in (links resolved).
    public nonisolated let workspace: String
    public nonisolated let shell: [String]
    private var table: SessionTable
    private var live: [String: TerminalSession] = [:]
    private let services: NodeServices

    public init(workspace: String, limits: TerminalLimits = TerminalLimits(), shell: [String]? = nil, services: NodeServices) {
        self.workspace = WorkspacePath(root: workspace).root
        self.shell = shell ?? [ProcessInfo.processInfo.environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"]
        table = SessionTable(limits: limits)
        self.services = services
    }

    public var limits: TerminalLimits { table.limits }

    /// Opens a session for `caller` with a terminal of `cols`×`rows`.
    public func open(for caller: Caller, command: String?, cols: Int, rows: Int, client: String = "") throws(TerminalServiceError) -> TerminalSessionInfo {
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
        let session = TerminalSession(id: id, command: argv, startedMs: now, pty: pty, scrollbackBytes: table.limits.scrollbackBytes)
        live[id] = session
        audit(caller.auditName, "terminal.start", "\(id): \(argv.joined(separator: " ")) in \(workspace)", client: client)
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

    /// Ends the sessions idle past the timeout (none attached, no input); returns their IDs.
    @discardableResult public func sweep() async -> [String] {
        let expired = table.expired(nowMs: services.clock())
        for id in expired { if let s = live[id] { _ = await finish(id, s, why: "idle") } else { table.close(id) } }
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

    private func audit(_ actor: String, _ action: String, _ resource: String, client: String = "") {
        _ = try? services.record(AuditEntry(atMs: services.clock(), actor: actor, action: action, resource: resource, client: client,
                                            userAgent: "", outcome: "ok", status: 0))
    }
}
