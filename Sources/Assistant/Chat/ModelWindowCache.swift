import Synchronization

/// The context window of each model the server described, kept a few minutes so a chat does not
/// ask the server to describe the same model before every question.
///
/// Rules it keeps: an entry is used for at most `lifetimeMs` after it was learned (a model
/// pulled again may have changed); at most `maxModels` entries (the oldest learned goes first);
/// a model the server failed to describe is never kept, so a wrong name is refused every time.
public final class ModelWindowCache: Sendable {
    public static let lifetimeMs: Int64 = 5 * 60 * 1000
    public static let maxModels = 64

    private let entries = Mutex<[String: (window: Int, learnedMs: Int64)]>([:])

    public init() {}

    /// The window learned for `model` no more than `lifetimeMs` before `nowMs`.
    public func window(of model: String, at nowMs: Int64) -> Int? {
        entries.withLock { table in
            guard let entry = table[model], nowMs >= entry.learnedMs, nowMs - entry.learnedMs < Self.lifetimeMs else { return nil }
            return entry.window
        }
    }

    /// Keeps `window` for `model`, learned at `nowMs`.
    public func learn(_ window: Int, of model: String, at nowMs: Int64) {
        entries.withLock { table in
            table[model] = (window, nowMs)
            while table.count > Self.maxModels, let oldest = table.min(by: { ($0.value.learnedMs, $0.key) < ($1.value.learnedMs, $1.key) }) {
                table[oldest.key] = nil
            }
        }
    }
}
