import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A supervised child process: it runs with a script on standard input, its output collected up
/// to a limit, and is killed (SIGKILL) when it runs past its timeout, when its output passes
/// the limit, or when the task awaiting it is cancelled.
struct ChildProcess {
    struct Outcome {
        var stdout: [UInt8]
        var stderr: String
        var status: Int32
        /// True when a signal ended it (then `status` is the signal's number).
        var signaled: Bool
    }

    let executable: String
    let arguments: [String]
    let workingDirectory: String
    let environment: [String: String]
    /// Seconds before the child is killed.
    let timeout: Double
    /// Bytes of standard output kept; past it the child is killed.
    let maxOutput: Int
    /// Bytes of standard error kept (the rest is read and dropped).
    var maxErrorOutput = 64 << 10

    private final class State: Sendable {
        struct Inner {
            var pid: Int32 = 0
            var exited = false
            var timedOut = false
            var cancelled = false
            var overflowed = false
        }
        let inner = Mutex(Inner())

        /// Marks why and kills the child, unless it has exited (its pid could be someone else's by
        /// then, and an answer that came in time stands).
        func kill(_ mark: (inout Inner) -> Void) {
            inner.withLock { s in
                guard s.pid > 0 && !s.exited else { return }
                mark(&s)
                _ = Glibc.kill(s.pid, SIGKILL)
            }
        }
    }

    /// Runs the child with `stdinPath` as its standard input.
    func run(stdinPath: String) async throws -> Outcome {
        if Task.isCancelled { throw DataEngineError.cancelled }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.environment = environment
        guard let input = FileHandle(forReadingAtPath: stdinPath) else { throw DataEngineError.cannotRead(stdinPath) }
        defer { try? input.close() }
        process.standardInput = input
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let state = State()
        // The termination handler, not waitUntilExit (which polls its run loop every 50 ms),
        // tells when the child is gone: it runs as soon as Foundation reaps it.
        let finished = DispatchGroup()
        finished.enter()
        process.terminationHandler = { _ in
            state.inner.withLock { $0.exited = true }
            finished.leave()
        }
        do { try process.run() } catch {
            throw DataEngineError.engineCrashed(status: -1, "cannot start \(executable): \(error.localizedDescription)")
        }
        state.inner.withLock { $0.pid = process.processIdentifier }
        let maxOutput = maxOutput, maxError = maxErrorOutput, timeout = timeout

        let outcome: Outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { state.kill { $0.timedOut = true } }
                let stdout = Mutex<[UInt8]>([])
                let stderr = Mutex<[UInt8]>([])
                finished.enter()
                Thread.detachNewThread {
                    let handle = out.fileHandleForReading
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        let over = stdout.withLock { buf -> Bool in
                            if buf.count + chunk.count > maxOutput { return true }
                            buf.append(contentsOf: chunk)
                            return false
                        }
                        if over { state.kill { $0.overflowed = true } }
                    }
                    finished.leave()
                }
                finished.enter()
                Thread.detachNewThread {
                    let handle = err.fileHandleForReading
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        stderr.withLock { buf in if buf.count < maxError { buf.append(contentsOf: chunk.prefix(maxError - buf.count)) } }
                    }
                    finished.leave()
                }
                finished.notify(queue: .global()) {
                    continuation.resume(returning: Outcome(stdout: stdout.withLock { $0 }, stderr: String(decoding: stderr.withLock { $0 }, as: UTF8.self),
                                                           status: process.terminationStatus,
                                                           signaled: process.terminationReason == .uncaughtSignal))
                }
            }
        } onCancel: {
            state.kill { $0.cancelled = true }
        }
        let s = state.inner.withLock { $0 }
        if s.cancelled { throw DataEngineError.cancelled }
        if s.timedOut { throw DataEngineError.timedOut(seconds: timeout) }
        if s.overflowed { throw DataEngineError.resultTooLarge(bytes: maxOutput) }
        return outcome
    }
}
