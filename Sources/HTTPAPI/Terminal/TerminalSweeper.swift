import ServiceLifecycle
import Services

/// Runs beside the HTTP server: ends idle terminal sessions every `interval`, and every
/// session when the node stops (so no shell outlives the node).
struct TerminalSweeper: Service {
    let terminals: TerminalService
    var interval: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await terminals.sweep()
            }
        }
        await terminals.endAll()
    }
}
