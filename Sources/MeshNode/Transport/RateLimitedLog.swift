import Foundation
import Logging

/// Logging for events a peer can cause at will (bad frames, refused identities): at most
/// `burst` lines per `period` for each kind, then one line saying how many were suppressed.
/// A flood of garbage cannot flood the log.
final class RateLimitedLog: @unchecked Sendable {
    private let logger: Logger
    private let burst: Int
    private let period: TimeInterval
    private let lock = NSLock()
    private var windows: [String: (start: Date, count: Int, suppressed: Int)] = [:]

    init(logger: Logger, burst: Int = 5, period: TimeInterval = 60) {
        self.logger = logger
        self.burst = burst
        self.period = period
    }

    func warning(_ kind: String, _ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) {
        let now = Date()
        let (emit, suppressedBefore): (Bool, Int) = lock.withLock {
            var w = windows[kind] ?? (now, 0, 0)
            var previous = 0
            if now.timeIntervalSince(w.start) >= period {
                previous = w.suppressed
                w = (now, 0, 0)
            }
            w.count += 1
            let emit = w.count <= burst
            if !emit { w.suppressed += 1 }
            windows[kind] = w
            return (emit, previous)
        }
        if suppressedBefore > 0 {
            logger.warning("\(suppressedBefore) more '\(kind)' events were not logged in the last \(Int(period)) s")
        }
        if emit { logger.warning("\(message())", metadata: metadata) }
    }
}
