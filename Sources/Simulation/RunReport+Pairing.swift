import MeshCore
import Replicas
import Wire

/// Figures of a run with pairing runs.
public struct PairingReport: Sendable {
    public var runs: Int
    public var attempts: Int
    /// Runs that ended paired on both sides.
    public var paired: Int
    /// Attempts that failed on both sides (wrong codes, burned codes).
    public var failedAttempts: Int
    /// From the start of each successful attempt to the joiner holding its verdict, sorted.
    public var pairingMs: [Double]
}

extension Simulator {
    /// Checks `pairingsAsExpected`: each wrong attempt failed on both sides; the right one paired
    /// both ways (the two keys pinned are each other's) unless five wrong attempts burned the
    /// code first, when both sides were refused with `burned`; a joiner that paired is, at the
    /// end, a member of the team with the granted role at every running node holding the team,
    /// and one that did not is a member nowhere.
    func pairingReport() -> (failures: [String], report: PairingReport)? {
        guard !scenario.pairings.isEmpty else { return nil }
        var problems: [String] = []
        var attempts = 0, paired = 0, failedAttempts = 0
        var pairingMs: [Double] = []
        for (r, run) in scenario.pairings.enumerated() {
            let state = pairingRuns[r]
            let name = "run \(r) (n\(run.inviter) invites n\(run.joiner))"
            if let why = state.notOpened { problems.append("\(name): no code opened: \(why)"); continue }
            attempts += state.attempts.count
            if state.attempts.count != run.wrongTries + 1 {
                problems.append("\(name): \(state.attempts.count) of \(run.wrongTries + 1) attempts ran")
            }
            let burned = run.wrongTries >= InviteBook.maxAttempts
            for (a, attempt) in state.attempts.enumerated() {
                let label = "\(name) attempt \(a + 1)"
                if attempt.timedOut { problems.append("\(label): timed out"); continue }
                switch (attempt.inviter, attempt.joiner) {
                case let (.paired(atInviter)?, .paired(atJoiner)?):
                    if attempt.wrong || burned { problems.append("\(label): paired with a \(attempt.wrong ? "wrong" : "burned") code") }
                    if atInviter.node != nodes[run.joiner].id || atJoiner.node != nodes[run.inviter].id {
                        problems.append("\(label): the sides pinned keys other than each other's")
                    }
                    paired += 1
                    if let done = attempt.joinerDoneAt { pairingMs.append(Double(done - attempt.startedAt) / 1e6) }
                case (.failed?, .failed(let f)?):
                    failedAttempts += 1
                    if !attempt.wrong && !burned { problems.append("\(label): the right code failed: \(f)") }
                    if !attempt.wrong && burned, f != .refused(.burned, message: PairingRefusal.burned.message) {
                        problems.append("\(label): a burned code failed with \(f), not as burned")
                    }
                default:
                    problems.append("\(label): the sides disagree (inviter \(attempt.inviter.map(Self.describe) ?? "none"), "
                                    + "joiner \(attempt.joiner.map(Self.describe) ?? "none"))")
                }
            }
            let pairedRun = state.attempts.last.map { !$0.wrong && !$0.timedOut && $0.joiner.map(Self.isPaired) == true } ?? false
            guard let team = teamID else { continue }
            for i in nodes.indices where nodes[i].up {
                guard let s = nodes[i].core.replication.replica(team)?.state else { continue }
                let role = s.role(of: nodes[run.joiner].id)
                if pairedRun && role != run.role {
                    problems.append("\(name): n\(i) shows n\(run.joiner) as \(role.map { "\($0)" } ?? "no member"), not \(run.role)")
                    break
                }
                if !pairedRun && role != nil {
                    problems.append("\(name): n\(run.joiner) never paired, yet n\(i) shows it as \(role!)")
                    break
                }
            }
        }
        let failures = scenario.expect.contains(.pairingsAsExpected) && !problems.isEmpty
            ? ["pairingsAsExpected: " + problems.prefix(3).joined(separator: "; ")] : []
        return (failures, PairingReport(runs: scenario.pairings.count, attempts: attempts, paired: paired,
                                        failedAttempts: failedAttempts, pairingMs: pairingMs.sorted()))
    }

    static func isPaired(_ o: PairingDesk.PairingOutcome) -> Bool {
        if case .paired = o { return true }
        return false
    }
}
