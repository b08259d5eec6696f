import NIOCore
import NIOPosix
import Testing
@testable import MeshNode

@Suite struct EventLoopTaskExecutorTests {
    /// A link's reader and writer (a task and its child) run on the loop they prefer, also
    /// after a suspension, and a task without the preference does not.
    @Test func tasksThatPreferALoopRunOnItsThread() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let onLoop = await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { () async -> [Bool] in
            var seen = [loop.inEventLoop]
            await Task.yield()
            seen.append(loop.inEventLoop)
            seen += await withTaskGroup(of: Bool.self) { children in
                children.addTask { loop.inEventLoop }
                children.addTask {
                    try? await Task.sleep(for: .milliseconds(5))
                    return loop.inEventLoop
                }
                return await children.reduce(into: []) { $0.append($1) }
            }
            return seen
        }
        #expect(onLoop == [true, true, true, true])
        let elsewhere = await Task.detached { loop.inEventLoop }.value
        #expect(!elsewhere)
        try await group.shutdownGracefully()
    }
}
