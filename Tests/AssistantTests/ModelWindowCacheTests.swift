@testable import Assistant
import Testing

@Suite struct ModelWindowCacheTests {
    @Test func anEntryLastsItsLifetimeAndNoLonger() {
        let cache = ModelWindowCache()
        #expect(cache.window(of: "m", at: 0) == nil)
        cache.learn(4096, of: "m", at: 1_000)
        #expect(cache.window(of: "m", at: 1_000) == 4096)
        #expect(cache.window(of: "m", at: 1_000 + ModelWindowCache.lifetimeMs - 1) == 4096)
        #expect(cache.window(of: "m", at: 1_000 + ModelWindowCache.lifetimeMs) == nil)
        // A clock set back does not make an entry live longer, nor trap.
        #expect(cache.window(of: "m", at: 0) == nil)
        #expect(cache.window(of: "other", at: 1_000) == nil)
    }

    @Test func theOldestLearnedGoesBeyondTheLimit() {
        let cache = ModelWindowCache()
        for i in 0...ModelWindowCache.maxModels { cache.learn(i, of: "m\(i)", at: Int64(i)) }
        #expect(cache.window(of: "m0", at: 100) == nil)
        #expect(cache.window(of: "m1", at: 100) == 1)
        #expect(cache.window(of: "m\(ModelWindowCache.maxModels)", at: 100) == ModelWindowCache.maxModels)
    }
}
