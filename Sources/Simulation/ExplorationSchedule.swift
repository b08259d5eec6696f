/// Which scenario runs the next fresh seed when several scenarios share one time budget
/// (`elohim sim explore`, `make soak`).
///
/// Rules it keeps:
/// - the next seed goes to the scenario that has used the least wall time so far, counting each
///   of its seeds still running at that scenario's mean time a seed (or as unbounded while it has
///   no finished seed yet, so a scenario of unknown cost gets no second seed while another
///   scenario can take one); ties go to the earlier scenario. So a cheap scenario runs many seeds and a costly one still gets
///   its share, and no scenario is starved whatever the costs.
/// - each scenario's seeds are consecutive from `firstSeed`, so what one scenario explored is
///   the range `firstSeed ..< firstSeed + seedsStarted`, replayable with `elohim sim run --seeds`;
/// - failing seeds are kept in the order they finished.
///
/// Wall times are inputs: the schedule reads no clock, so it is tested like any core.
public struct ExplorationSchedule: Sendable {
    /// What one scenario has run so far.
    public struct Tally: Sendable, Equatable {
        public var seedsStarted = 0
        public var seedsFinished = 0
        public var failedSeeds: [UInt64] = []
        public var wallSeconds = 0.0
        public var inFlight = 0

        /// Mean wall time of a finished seed; nil before the first one finishes.
        public var meanSeconds: Double? { seedsFinished == 0 ? nil : wallSeconds / Double(seedsFinished) }

        /// Wall time used, with seeds still running counted at the mean.
        var committedSeconds: Double {
            guard inFlight > 0 else { return wallSeconds }
            guard let mean = meanSeconds else { return .infinity }
            return wallSeconds + Double(inFlight) * mean
        }
    }

    public let firstSeed: UInt64
    public private(set) var tallies: [Tally]

    /// - Parameters:
    ///   - scenarios: how many scenarios share the budget (at least one).
    ///   - firstSeed: the first seed of every scenario; at most `UInt64.max - 2^32`, so no
    ///     scenario's seeds can wrap around.
    public init(scenarios: Int, firstSeed: UInt64) {
        precondition(scenarios > 0, "an exploration needs at least one scenario")
        self.firstSeed = min(firstSeed, UInt64.max - (1 << 32))
        self.tallies = Array(repeating: Tally(), count: scenarios)
    }

    /// Chooses the scenario and seed to run next and counts it as running.
    public mutating func next() -> (scenario: Int, seed: UInt64) {
        var best = 0
        for i in tallies.indices.dropFirst() where tallies[i].committedSeconds < tallies[best].committedSeconds {
            best = i
        }
        let seed = firstSeed + UInt64(tallies[best].seedsStarted)
        tallies[best].seedsStarted += 1
        tallies[best].inFlight += 1
        return (best, seed)
    }

    /// Records a seed that finished, with the wall time it took.
    public mutating func finished(scenario: Int, seed: UInt64, passed: Bool, wallSeconds: Double) {
        tallies[scenario].inFlight -= 1
        tallies[scenario].seedsFinished += 1
        tallies[scenario].wallSeconds += max(0, wallSeconds)
        if !passed { tallies[scenario].failedSeeds.append(seed) }
    }

    /// Seeds finished over every scenario.
    public var seedsFinished: Int { tallies.reduce(0) { $0 + $1.seedsFinished } }
    /// Failed seeds over every scenario.
    public var failures: Int { tallies.reduce(0) { $0 + $1.failedSeeds.count } }
}
