import Testing
@testable import Simulation

@Suite struct ExplorationScheduleTests {
    /// Runs the schedule with `workers` seeds in flight, each scenario's seed costing `costs[i]`
    /// seconds, until `budget` seconds of simulated wall time; finishing order is by end time.
    func simulate(costs: [Double], workers: Int, budget: Double, failing: Set<UInt64> = []) -> ExplorationSchedule {
        var schedule = ExplorationSchedule(scenarios: costs.count, firstSeed: 100)
        var running: [(end: Double, scenario: Int, seed: UInt64)] = []
        var now = 0.0
        for _ in 0..<workers {
            let (i, seed) = schedule.next()
            running.append((now + costs[i], i, seed))
        }
        while !running.isEmpty {
            running.sort { ($0.end, $0.seed) < ($1.end, $1.seed) }
            let done = running.removeFirst()
            now = done.end
            schedule.finished(scenario: done.scenario, seed: done.seed, passed: !failing.contains(done.seed),
                              wallSeconds: costs[done.scenario])
            if now < budget {
                let (i, seed) = schedule.next()
                running.append((now + costs[i], i, seed))
            }
        }
        return schedule
    }

    @Test func scenariosShareTheTimeWhateverTheirCost() {
        // One scenario 100 times dearer than another: both get about a third of the time.
        let s = simulate(costs: [0.05, 5, 0.5], workers: 2, budget: 600)
        let shares = s.tallies.map(\.wallSeconds)
        let total = shares.reduce(0, +)
        for share in shares { #expect(abs(share / total - 1.0 / 3) < 0.05, "shares \(shares)") }
        #expect(s.tallies[0].seedsFinished > 50 * s.tallies[1].seedsFinished)
        #expect(s.seedsFinished == s.tallies.reduce(0) { $0 + $1.seedsStarted })
    }

    @Test func eachScenarioRunsConsecutiveSeedsFromTheStart() {
        var s = ExplorationSchedule(scenarios: 2, firstSeed: 7)
        #expect(s.next() == (0, 7))
        // Scenario 0 is running at unknown cost, so it is not chosen again before it reports.
        #expect(s.next() == (1, 7))
        s.finished(scenario: 1, seed: 7, passed: true, wallSeconds: 1)
        #expect(s.next() == (1, 8))
        s.finished(scenario: 0, seed: 7, passed: true, wallSeconds: 0.1)
        #expect(s.next() == (0, 8))
        #expect(s.next() == (0, 9))
    }

    @Test func aScenarioOfUnknownCostWaitsWhileAnotherCanRun() {
        var s = ExplorationSchedule(scenarios: 1, firstSeed: 1)
        _ = s.next()
        _ = s.next()
        #expect(s.tallies[0].inFlight == 2)  // one scenario: nothing else to give the worker
        var three = ExplorationSchedule(scenarios: 3, firstSeed: 1)
        for _ in 0..<3 { _ = three.next() }
        #expect(three.tallies.map(\.seedsStarted) == [1, 1, 1])
    }

    @Test func failuresAreKeptPerScenarioInTheOrderTheyFinished() {
        let s = simulate(costs: [1, 1], workers: 2, budget: 20, failing: [103, 105])
        #expect(s.failures == 4)  // seeds 103 and 105 of both scenarios
        #expect(s.tallies[0].failedSeeds == [103, 105])
        #expect(s.tallies[1].failedSeeds == [103, 105])
    }

    @Test func theFirstSeedLeavesRoomSoSeedsNeverWrap() {
        let s = ExplorationSchedule(scenarios: 1, firstSeed: .max)
        #expect(s.firstSeed == UInt64.max - (1 << 32))
    }
}
