import ArgumentParser
import Foundation
import MeshCore
import Simulation

/// `elohim sim`: the deterministic simulator.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run mesh scenarios in the deterministic simulator.",
        discussion: """
        A scenario (JSON, see Simulations/README.md) describes nodes, their links, the
        network (latency, loss, duplication, reordering), faults (partitions, crashes,
        restarts, clock skew), a broadcast workload and the invariants that must hold.
        The same scenario and seed always give the same trace and digest.
        """,
        subcommands: [SimRunCommand.self, SimCompareCommand.self, SimExploreCommand.self]
    )
}

/// The seeds to run: `--seed N` or `--seeds A..B` (inclusive).
struct SeedOptions: ParsableArguments {
    @Option(help: "Run this one seed.")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Run every seed from A to B inclusive, e.g. 1..200.", valueName: "A..B"))
    var seeds: String?

    func validate() throws {
        if seed != nil && seeds != nil { throw ValidationError("give --seed or --seeds, not both") }
        _ = try list()
    }

    func list() throws -> [UInt64] {
        if let seed { return [seed] }
        guard let seeds else { return [1] }
        let parts = seeds.components(separatedBy: "..")
        guard parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b else {
            throw ValidationError("--seeds expects A..B with A <= B, for example 1..200; got '\(seeds)'")
        }
        guard b - a < 1_000_000 else { throw ValidationError("--seeds: at most 1,000,000 seeds at once") }
        return Array(a...b)
    }
}

/// Reads a scenario file, or explains why it cannot.
func loadScenario(_ path: String) throws -> Scenario {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw fail("cannot read scenario \(path): \(error.localizedDescription)")
    }
    do { return try Scenario(json: data) } catch {
        throw fail("scenario \(path): \(error)")
    }
}

/// Runs `seeds` on up to one worker per core; `each` gets the reports in seed order.
func runSeeds(_ scenario: Scenario, seeds: [UInt64], tracePath: (UInt64) -> String?,
              each: (RunReport, Double) -> Void) async {
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    await withTaskGroup(of: (Int, RunReport, Double).self) { group in
        var next = 0
        var ready: [Int: (RunReport, Double)] = [:]
        var printed = 0
        func launch(_ i: Int) {
            let seed = seeds[i]
            let path = tracePath(seed)
            group.addTask {
                let clock = ContinuousClock()
                let start = clock.now
                let report: RunReport
                if let path {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                    let handle = FileHandle(forWritingAtPath: path)
                    let recorder = TraceRecorder { line in handle?.write(Data((line + "\n").utf8)) }
                    report = Simulator(scenario: scenario, seed: seed, trace: recorder).run()
                    try? handle?.close()
                } else {
                    report = Simulator(scenario: scenario, seed: seed).run()
                }
                let elapsed = clock.now - start
                return (i, report, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
        }
        while next < min(workers, seeds.count) { launch(next); next += 1 }
        for await (i, report, wall) in group {
            ready[i] = (report, wall)
            while let r = ready.removeValue(forKey: printed) {
                each(r.0, r.1)
                printed += 1
            }
            if next < seeds.count { launch(next); next += 1 }
        }
    }
}

struct SimRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario over one or more seeds and check its invariants.",
        discussion: """
        Prints one line per seed (pass or FAIL, the first 16 hex digits of the trace digest,
        delivery, copies per broadcast, hops, dead-peer detection times, speed), then
        'N passed, M failed'. Exits 1 when any seed failed, after printing the command that
        replays each failing seed.

        Examples:
          elohim sim run Simulations/line-3.json --seeds 1..100
          elohim sim run Simulations/line-3.json --seed 7 --trace /tmp/line-3.trace
        """
    )

    @Argument(help: "The scenario file (JSON).")
    var file: String

    @OptionGroup var seedOptions: SeedOptions

    @Option(help: ArgumentHelp("Write every event of the run to this file (with several seeds, FILE.<seed>).",
                               valueName: "file"))
    var trace: String?

    @Option(help: "Override the scenario's gossip mode: flood or tree.")
    var mode: String?

    func validate() throws {
        if let mode, GossipConfiguration.Mode(rawValue: mode) == nil {
            throw ValidationError("--mode must be flood or tree, not '\(mode)'")
        }
    }

    func run() async throws {
        var scenario = try loadScenario(file)
        if let mode { scenario.gossip.mode = GossipConfiguration.Mode(rawValue: mode)! }
        let seeds = try seedOptions.list()
        var failed: [UInt64] = []
        await runSeeds(scenario, seeds: seeds, tracePath: { seed in
            trace.map { seeds.count == 1 ? $0 : "\($0).\(seed)" }
        }) { report, wall in
            print(SimulationReportFormat.line(report, wallSeconds: wall))
            for failure in report.failures { print("    \(failure)") }
            if !report.passed { failed.append(report.seed) }
        }
        print("\(seeds.count - failed.count) passed, \(failed.count) failed")
        if !failed.isEmpty {
            for seed in failed {
                print("replay: elohim sim run \(file) --seed \(seed)" + (mode.map { " --mode \($0)" } ?? "")
                      + " --trace /tmp/\(scenario.name)-\(seed).trace")
            }
            throw ExitCode.failure
        }
    }
}

struct SimCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run a scenario in flood, tree and source mode and print the figures side by side.",
        discussion: """
        For each mode: copies of a payload sent per broadcast (repairs included), router
        control messages per broadcast, delivery ratio, the most hops any delivery took
        against the graph's diameter, and whether every invariant held.

        Example:
          elohim sim compare Simulations/random-1000.json --seeds 1..3
        """
    )

    @Argument(help: "The scenario file (JSON).")
    var file: String

    @OptionGroup var seedOptions: SeedOptions

    func run() async throws {
        let base = try loadScenario(file)
        let seeds = try seedOptions.list()
        var rows: [GossipConfiguration.Mode: [RunReport]] = [:]
        for mode in GossipConfiguration.Mode.allCases {
            var scenario = base
            scenario.gossip.mode = mode
            await runSeeds(scenario, seeds: seeds, tracePath: { _ in nil }) { report, _ in
                rows[mode, default: []].append(report)
            }
        }
        print(SimulationReportFormat.comparison(scenario: base, nodes: base.nodes,
                                                modes: GossipConfiguration.Mode.allCases.map { ($0.rawValue, rows[$0] ?? []) }))
        if rows.values.joined().contains(where: { !$0.passed }) { throw ExitCode.failure }
    }
}
