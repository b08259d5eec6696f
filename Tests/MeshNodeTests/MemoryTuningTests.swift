import Testing
@testable import MeshNode

@Suite struct MemoryTuningTests {
    /// `elohim node run` relies on it: glibc's `mallopt` is found and takes both settings.
    @Test func glibcTakesTheAllocatorSettings() {
        #expect(MemoryTuning.apply())
    }
}
