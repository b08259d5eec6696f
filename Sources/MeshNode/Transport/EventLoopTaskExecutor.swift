import NIOCore

/// Runs tasks on one NIO event loop's thread: a link's reader prefers its channel's loop, so
/// frames are opened where the socket is read, with no hop to the cooperative pool and back for
/// each one.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
