/// xoshiro256** (Blackman and Vigna, https://prng.di.unimi.it/), seeded through SplitMix64.
///
/// The one generator of the simulator and the tests: fast, 256 bits of state, and the same
/// sequence on every machine and in every process for the same seed. Not for keys.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        (s0, s1, s2, s3) = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// An independent generator for a sub-component (a node of the simulation, say), so that
    /// adding draws in one component does not shift every other component's sequence.
    public mutating func fork(_ label: UInt64) -> SeededGenerator {
        SeededGenerator(seed: next() ^ (label &* 0xD6E8_FEB8_6659_FD93))
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
