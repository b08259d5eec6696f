import ArgumentParser
import Foundation
import Simulation

/// `elohim sim explore`: fresh seeds of several scenarios for a set time (CI's exploration and
/// `make soak`). Fixed seed ranges only re-check what passed before; this is how new failures
/// are found.
struct SimExploreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run fresh seeds of several scenarios for a set time and report every failing seed.",
        discussion: """
        The scenarios share the time: the next seed always goes to the scenario
        that has used the least of it so far, so cheap scenarios run many seeds and
        costly ones still run theirs. Each scenario runs seeds START, START+1, ...
        (START is random unless given, and printed first), one worker per core.

        A failing seed is printed when it fails, with the expectations it broke. The
        end prints each scenario's seed range, the totals, and the command that
        replays each failing seed. Exits 1 when any seed failed.

        Examples:
          elohim sim explore Simulations/*.json --for 5m
          elohim sim explore Simulations/line-3.json --for 2h --start 4200000
        """
    )

    @Argument(help: "The scenario files (JSON).")
    var files: [String]

    @Option(name: .customLong("for"), help: ArgumentHelp("How long to explore: 90s, 30m, 4h, 2d (seeds already running finish).",
                                                          valueName: "time"))
    var duration: String

    @Option(help: "The first seed of every scenario (default: random, printed).")
    var start: UInt64?

    @Option(help: ArgumentHelp("Print a progress line this often.", valueName: "time"))
    var progress: String = "1m"

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one scenario file, e.g. Simulations/*.json") }
        if Duration.seconds(duration) == nil {
            throw ValidationError("--for expects a number and a unit (90s, 30m, 4h, 2d; at most 30 days), not '\(duration)'")
        }
        if Duration.seconds(progress) == nil {
            throw ValidationError("--progress expects a number and a unit (30s, 1m), not '\(progress)'")
        }
        if let start, start > UInt64.max - (1 << 32) { throw ValidationError("--start must be below 2^64 - 2^32") }
    }

    func run() async throws {
        let scenarios = try files.map(loadScenario)
        let budget = Double(Duration.seconds(duration)!)
        let progressEvery = Double(Duration.seconds(progress)!)
        let first = start ?? UInt64.random(in: 1_000_000...4_000_000_000)
        var schedule = ExplorationSchedule(scenarios: scenarios.count, firstSeed: first)
        print("exploring \(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s") for \(Duration.words(UInt64(budget))) "
              + "from seed \(first) (the same run again: --start \(first))")

        let clock = ContinuousClock()
        let began = clock.now
        func elapsed() -> Double { seconds(clock.now - began) }
        var nextProgress = progressEvery
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

        await withTaskGroup(of: (Int, RunReport, Double).self) { group in
            func launch() {
                let (index, seed) = schedule.next()
                let scenario = scenarios[index]
                group.addTask {
                    let t0 = ContinuousClock.now
                    let report = Simulator(scenario: scenario, seed: seed).run()
                    return (index, report, seconds(ContinuousClock.now - t0))
                }
            }
            for _ in 0..<workers { launch() }
            for await (index, report, wall) in group {
                schedule.finished(scenario: index, seed: report.seed, passed: report.passed, wallSeconds: wall)
                if !report.passed {
                    print("FAIL \(files[index]) seed \(report.seed)")
                    for failure in report.failures { print("    \(failure)") }
                }
                let now = elapsed()
                if now >= nextProgress {
                    print("[\(Int(now))s] \(schedule.seedsFinished) seeds, \(schedule.failures) failed")
                    nextProgress = now + progressEvery
                }
                if now < budget { launch() }
            }
        }

        for (i, tally) in schedule.tallies.enumerated() {
            let last = first + UInt64(tally.seedsStarted) - 1
            let range = tally.seedsStarted == 0 ? "no seeds" : "seeds \(first)..\(last)"
            let mean = tally.meanSeconds.map { String(format: "%.2f s a seed", $0) } ?? "-"
            print("\(scenarios[i].name): \(range), \(tally.seedsFinished) run, \(tally.failedSeeds.count) failed (\(mean))")
        }
        print("\(schedule.seedsFinished) seeds in \(Int(elapsed())) s: \(schedule.seedsFinished - schedule.failures) passed, "
              + "\(schedule.failures) failed")
        guard schedule.failures > 0 else { return }
        for (i, tally) in schedule.tallies.enumerated() {
            for seed in tally.failedSeeds {
                print("replay: elohim sim run \(files[i]) --seed \(seed) --trace /tmp/\(scenarios[i].name)-\(seed).trace")
            }
        }
        throw ExitCode.failure
    }
}

/// A duration as fractional seconds.
private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
