import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a process could not be started under a pseudo-terminal, or a call on it failed.
public enum PTYError: Error, Equatable, CustomStringConvertible {
    case emptyCommand
    case badSize(cols: Int, rows: Int)
    case workspaceMissing(String)
    case forkFailed(errno: Int32)
    case writeFailed(errno: Int32)

    public var description: String {
        switch self {
        case .emptyCommand: "the command is empty: give a program to run, or none for the default shell"
        case let .badSize(c, r): "a terminal of \(c)×\(r) is not possible: cols and rows are each 1 to \(PTYProcess.maxDimension)"
        case let .workspaceMissing(p): "the workspace folder \(p) does not exist: create it or start the node with another --workspace"
        case let .forkFailed(e): "cannot start a process under a pseudo-terminal: \(String(cString: strerror(e)))"
        case let .writeFailed(e): "cannot write to the terminal: \(String(cString: strerror(e)))"
        }
    }
}

/// How a process ended: its exit code, or the signal that killed it.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// Decodes a `waitpid` status (the W* macros, which Swift does not import).
    public init(waitStatus s: Int32) {
        self = s & 0x7f == 0 ? .exited((s >> 8) & 0xff) : .signalled(s & 0x7f)
    }

    public var description: String {
        switch self {
        case let .exited(c): "exited with code \(c)"
        case let .signalled(s): "killed by signal \(s)"
        }
    }
}

/// One process under a pseudo-terminal (`openpty`, then `posix_spawn`): its controller side is a non-blocking file
/// descriptor the node reads and writes. The shell of the terminal cores: it decides nothing.
///
/// Rules: the command runs in `directory` with `TERM=xterm-256color`, the node's environment
/// otherwise, in a session of its own (so `signal` reaches its whole process group); `read`
/// returns only when bytes are there (nil once the process's side is closed); `close` hangs up
/// (SIGHUP), waits `grace` for the process to go, then kills it (SIGKILL) and reaps it, so no
/// child or descriptor outlives the object. Safe from several tasks: the descriptor is guarded.
public final class PTYProcess: @unchecked Sendable {
    public static let maxDimension = 1000
    public let pid: pid_t
    private let fd: Int32
    private let lock = NSLock()
    private var closed = false
    private var status: ExitStatus?
    private let source: DispatchSourceRead
    private var waiting: CheckedContinuation<Void, Never>?
    private var sourceRunning = false
    private var waits: UInt64 = 0
    private var finalDrainDone = false
    static let exitCheck: DispatchTimeInterval = .milliseconds(200)

    /// Starts `argv` (argv[0] looked up in PATH) in `directory` under a new pseudo-terminal of `cols`×`rows`.
    public init(argv: [String], directory: String, cols: Int, rows: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PTYError) {
        guard let program = argv.first, !program.isEmpty else { throw .emptyCommand }
        guard (1...Self.maxDimension).contains(cols), (1...Self.maxDimension).contains(rows) else { throw .badSize(cols: cols, rows: rows) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else { throw .workspaceMissing(directory) }

        var env = environment
        env["TERM"] = "xterm-256color"
        env["PWD"] = directory
        let cArgv = Self.cStrings(argv)
        let cEnv = Self.cStrings(env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        let candidates = program.contains("/") ? [program]
            : (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
        defer { Self.free(cArgv); Self.free(cEnv) }

        // posix_spawn, not fork: the node is multithreaded, and fork runs every library's fork
        // handlers; OpenBLAS's (the assistant's embeddings) joins its thread pool there, and two
        // terminals starting at once hung in it for good. posix_spawn runs none and copies nothing.
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(cols), ws_xpixel: 0, ws_ypixel: 0)
        var controller: Int32 = -1, terminal: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        guard openpty(&controller, &terminal, &name, nil, &size) == 0 else { throw .forkFailed(errno: errno) }
        defer { _ = Glibc.close(terminal) }
        _ = fcntl(controller, F_SETFD, FD_CLOEXEC)
        _ = fcntl(terminal, F_SETFD, FD_CLOEXEC)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // In a session of its own; the node's blocked and ignored signals reset for the child.
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(Self.spawnSetSID | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opening the terminal by name, after setsid, makes it the controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, name, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        // The shell gets the terminal and nothing else of the node's: no database, no socket,
        // and no other terminal's side (which would keep that terminal from reporting its end).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        guard let addChdir = Self.addChdir, addChdir(&actions, directory) == 0 else { _ = Glibc.close(controller); throw .forkFailed(errno: ENOSYS) }

        var child: pid_t = 0
        var failure: Int32 = ENOENT
        for candidate in candidates {
            failure = posix_spawn(&child, candidate, &actions, &attributes, cArgv, cEnv)
            if failure == 0 { break }
            guard failure == ENOENT || failure == EACCES || failure == ENOTDIR else { break }
        }
        guard failure == 0 else { _ = Glibc.close(controller); throw .forkFailed(errno: failure) }
        pid = child
        fd = controller
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "elohim.pty.\(child)"))
        source.setEventHandler { [weak self] in self?.readable() }
        source.setCancelHandler { [fd] in _ = Glibc.close(fd) }
    }

    deinit {
        if hangUp() { kill(pid) }
    }

    /// The next bytes the process wrote (at most `max`), waiting until there are some; nil once
    /// its side of the terminal is closed (it exited and so did everything holding the terminal).
    public func read(max: Int = 64 * 1024) async -> [UInt8]? {
        while true {
            var buffer = [UInt8](repeating: 0, count: max)
            // Reads on while bytes are there (a terminal hands them over about 4 KiB at a time),
            // so a fast writer costs one wake-up per `max` bytes, not per 4 KiB.
            let (n, err): (Int, Int32) = lock.withLock {
                guard !closed else { return (0, 0) }
                var filled = 0
                while filled < max {
                    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, max - filled) }
                    if n > 0 { filled += n; continue }
                    if filled > 0 { return (filled, 0) }
                    return (n, errno)
                }
                return (filled, 0)
            }
            if n > 0 { return Array(buffer[..<n]) }
            // 0 or EIO (Linux, once the last holder of the terminal closed it): the end.
            if n == 0 || (err != EAGAIN && err != EINTR) { return nil }
            if err == EINTR { continue }
            // Nothing to read and the process gone: the end, even when the terminal stays open
            // (a process forked elsewhere in the node may have inherited its side). One last
            // drain after a moment picks up what the process wrote just before it exited.
            if exitStatus() != nil {
                if finalDrainDone { return nil }
                finalDrainDone = true
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.withLock {
                    if closed { c.resume(); return }
                    waiting = c
                    waits &+= 1
                    let this = waits
                    if !sourceRunning { sourceRunning = true; source.resume() }
                    // Looks again every `exitCheck` for a process that ended without closing the terminal.
                    DispatchQueue.global().asyncAfter(deadline: .now() + Self.exitCheck) { [weak self] in self?.timedOut(this) }
                }
            }
        }
    }

    private func timedOut(_ wait: UInt64) {
        lock.withLock {
            guard !closed, waits == wait, let c = waiting else { return }
            if sourceRunning { sourceRunning = false; source.suspend() }
            waiting = nil
            c.resume()
        }
    }

    private func readable() {
        lock.withLock {
            guard !closed else { return }
            if sourceRunning { sourceRunning = false; source.suspend() }
            waiting?.resume()
            waiting = nil
        }
    }

    /// Writes all of `bytes` (what a user typed); waits briefly while the terminal's input is full.
    public func write(_ bytes: [UInt8]) async throws(PTYError) {
        var offset = 0
        while offset < bytes.count {
            let (n, err): (Int, Int32) = lock.withLock {
                guard !closed else { return (-1, EBADF) }
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                return (n, errno)
            }
            if n > 0 { offset += n; continue }
            guard err == EAGAIN || err == EINTR else { throw .writeFailed(errno: err) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sets the terminal's size (TIOCSWINSZ); the process gets SIGWINCH.
    public func resize(cols: Int, rows: Int) throws(PTYError) {
        guard (1...Self.maxDimension).contains(cols), (1...Self.maxDimension).contains(rows) else { throw .badSize(cols: cols, rows: rows) }
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(cols), ws_xpixel: 0, ws_ypixel: 0)
        lock.withLock { if !closed { _ = withUnsafeMutablePointer(to: &size) { ioctl(fd, UInt(TIOCSWINSZ), $0) } } }
    }

    /// Sends `signal` to the terminal's foreground process group: the program the shell is
    /// running (a shell with job control gives each job its own group), else the shell's own.
    public func signal(_ signal: Int32) {
        lock.withLock {
            guard status == nil else { return }
            let foreground = closed ? -1 : tcgetpgrp(fd)
            if foreground > 0, Glibc.kill(-foreground, signal) == 0 { return }
            // Right after the start the child may not lead its group yet: then the process alone.
            if Glibc.kill(-pid, signal) != 0 { _ = Glibc.kill(pid, signal) }
        }
    }

    /// How the process ended, reaping it if it has; nil while it runs.
    public func exitStatus() -> ExitStatus? {
        lock.withLock {
            if let status { return status }
            var s: Int32 = 0
            if waitpid(pid, &s, WNOHANG) == pid { status = ExitStatus(waitStatus: s) }
            return status
        }
    }

    /// Waits (polling every 10 ms, at most `timeout`) for the process to end.
    public func waitForExit(timeout: Duration) async -> ExitStatus? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let s = exitStatus() { return s }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Hangs up: SIGHUP to the group, then SIGKILL after `grace`; reaps the process and closes
    /// the descriptor. A second call does nothing.
    public func close(grace: Duration = .milliseconds(500)) async {
        guard hangUp() else { return }
        if await waitForExit(timeout: grace) == nil { kill(pid) }
    }

    /// Marks the object closed, sends SIGHUP, wakes a waiting reader and releases the descriptor
    /// (its read source closes it). False when it was closed already.
    private func hangUp() -> Bool {
        lock.withLock {
            if closed { return false }
            closed = true
            if status == nil { _ = Glibc.kill(-pid, SIGHUP); _ = Glibc.kill(pid, SIGHUP) }
            waiting?.resume()
            waiting = nil
            // A suspended source must not be cancelled or released: resume it first.
            if !sourceRunning { sourceRunning = true; source.resume() }
            source.cancel()
            return true
        }
    }

    /// SIGKILL to the group and the process, then reap it (blocking: it cannot outlive SIGKILL).
    private func kill(_ pid: pid_t) {
        guard lock.withLock({ status == nil }) else { return }
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
        var s: Int32 = 0
        if waitpid(pid, &s, 0) == pid { lock.withLock { status = ExitStatus(waitStatus: s) } }
    }

    /// close_range(2) (glibc 2.34+, not in Swift's Glibc module), looked up once.
    /// POSIX_SPAWN_SETSID (glibc 2.26+; Swift does not import it).
    private static let spawnSetSID: Int32 = 0x80

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+) and _addchdir_np (2.29+), which
    /// Swift does not import; looked up once.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
    private static let addChdir: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    }()

    private static func cStrings(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() { p[i] = strdup(s) }
        p[strings.count] = nil
        return p
    }

    private static func free(_ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) {
        var i = 0
        while let s = p[i] { Glibc.free(s); i += 1 }
        p.deallocate()
    }
}
