/// One live terminal: a process under a pseudo-terminal, its scrollback, and the clients
/// attached to it. It outlives its clients: a client that goes away detaches, and the next
/// one is sent the scrollback first, then the output as it comes.
///
/// Rules: the process's output is read by one pump; each chunk goes into the scrollback ring
/// and into every attached client's `OutboundQueue`; while a client's queue is full the pump
/// waits for that client (so memory stays bounded and no byte is lost to a slow client; the
/// process itself is then slowed by its terminal). Bytes in and out are counted for the audit,
/// and written to the session's `transcript` when the node logs terminal I/O.
public actor TerminalSession {
    public nonisolated let id: String
    public nonisolated let command: [String]
    public nonisolated let startedMs: UInt64
    public nonisolated let queueLimit: Int
    private let pty: PTYProcess
    private var ring: ScrollbackRing
    private var clients: [Int: Client] = [:]
    private var nextClient = 0
    private var pumpWaiter: CheckedContinuation<Void, Never>?
    private var finished = false
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []
    public private(set) var bytesIn: UInt64 = 0
    public private(set) var bytesOut: UInt64 = 0
    public private(set) var exitStatus: ExitStatus?
    public nonisolated let transcript: TerminalTranscript?

    struct Client {
        var queue: OutboundQueue
        var wake: CheckedContinuation<Void, Never>?
    }

    /// Takes over `pty` and starts reading it; `onExit` runs once, after the process ended.
    public init(id: String, command: [String], startedMs: UInt64, pty: PTYProcess, scrollbackBytes: Int, queueLimit: Int = 1 << 20,
                transcript: TerminalTranscript? = nil, onExit: @escaping @Sendable (TerminalSession) async -> Void = { _ in }) {
        self.id = id
        self.command = command
        self.startedMs = startedMs
        self.pty = pty
        self.queueLimit = queueLimit
        self.transcript = transcript
        ring = ScrollbackRing(capacity: scrollbackBytes)
        Task { await self.pump(); await onExit(self) }
    }

    public nonisolated var pid: Int32 { pty.pid }
    public var attachedClients: Int { clients.count }
    public var hasExited: Bool { finished }
    /// Bytes of output dropped from the scrollback since the start (a replay is partial when > 0).
    public var scrollbackDropped: UInt64 { ring.dropped }

    private func pump() async {
        while let chunk = await pty.read() {
            ring.append(chunk)
            transcript?.output(chunk)
            bytesOut &+= UInt64(chunk.count)
            for id in clients.keys.sorted() {
                while var c = clients[id] {
                    if c.queue.push(chunk) {
                        c.wake?.resume()
                        c.wake = nil
                        clients[id] = c
                        break
                    }
                    // This client is behind: wait until it takes its queue or goes.
                    await withCheckedContinuation { pumpWaiter = $0 }
                }
            }
        }
        exitStatus = await pty.waitForExit(timeout: .seconds(2))
        if exitStatus == nil {
            await pty.close(grace: .zero)
            exitStatus = pty.exitStatus()
        }
        finished = true
        if let transcript {
            transcript.marker(exitStatus.map { "the process ended: \($0)" } ?? "the process ended")
            transcript.close()
        }
        for id in clients.keys { clients[id]?.wake?.resume(); clients[id]?.wake = nil }
        finishWaiters.forEach { $0.resume() }
        finishWaiters = []
    }

    /// Registers a client; returns its number and the scrollback to send before anything else
    /// (taken at the same instant, so nothing is missed or sent twice).
    public func attach() -> (client: Int, replay: [UInt8]) {
        nextClient += 1
        clients[nextClient] = Client(queue: OutboundQueue(limit: queueLimit), wake: nil)
        return (nextClient, ring.contents)
    }

    /// The next output for `client`, waiting until there is some; nil once the process has
    /// ended and the client has had everything, or the client was detached.
    public func next(client: Int) async -> [UInt8]? {
        while let c = clients[client] {
            if !c.queue.isEmpty {
                let bytes = clients[client]!.queue.takeAll()
                pumpWaiter?.resume()
                pumpWaiter = nil
                return bytes
            }
            if finished { return nil }
            await withCheckedContinuation { clients[client]?.wake = $0 }
        }
        return nil
    }

    /// Removes `client`; the session goes on.
    public func detach(client: Int) {
        clients.removeValue(forKey: client)?.wake?.resume()
        pumpWaiter?.resume()
        pumpWaiter = nil
    }

    /// Sends what the user typed to the process.
    public func input(_ bytes: [UInt8]) async throws(PTYError) {
        guard !finished else { return }
        bytesIn &+= UInt64(bytes.count)
        transcript?.input(bytes)
        try await pty.write(bytes)
    }

    public func resize(cols: Int, rows: Int) throws(PTYError) {
        try pty.resize(cols: cols, rows: rows)
        transcript?.resized(cols: cols, rows: rows)
    }

    public func signal(_ signal: Int32) { pty.signal(signal) }

    /// Sends `signal` to the session's process group; nothing once the process has ended.
    public func signal(_ signal: TerminalSignal) {
        guard !finished else { return }
        transcript?.marker("signal \(signal.rawValue) sent by a client")
        pty.signal(signal.number)
    }

    /// Ends the process (hang-up, then kill after `grace`) and waits until the pump has finished.
    public func end(grace: Duration = .milliseconds(500)) async {
        if !finished { await pty.close(grace: grace) }
        await waitUntilFinished()
    }

    /// Returns once the process has ended and its output was read.
    public func waitUntilFinished() async {
        if finished { return }
        await withCheckedContinuation { finishWaiters.append($0) }
    }
}
