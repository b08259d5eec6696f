import Testing
import Wire
@testable import Replicas

/// Issue 15, first finding: integers a peer signs (HLC times, SLAs) reach arithmetic on every
/// replica. None of them may trap, in the fold, in the snapshot, or in the next local write.
@Suite struct WireIntegerTests {
    /// An HLC taken in at (max, max) trapped at the next local write (`logical += 1`).
    @Test func aClockAtTheEndOfTimeTicksWithoutTrapping() {
        var clock = HybridLogicalClock(last: HLCTimestamp(wallMs: .max, logical: .max))
        let t = clock.tick(wallMs: 1_800_000_000_000)
        #expect(t == HLCTimestamp(wallMs: .max, logical: .max), "it stays at the end; ops still sort by author and seq")
        // At the end of one millisecond's counter the clock moves to the next millisecond.
        var full = HybridLogicalClock(last: HLCTimestamp(wallMs: 5_000, logical: .max))
        #expect(full.tick(wallMs: 4_000) == HLCTimestamp(wallMs: 5_001, logical: 0))
    }

    /// The clock takes in nothing dated more than `maxLeadMs` (24 h) ahead of its wall clock.
    @Test func theClockDoesNotAdoptATimestampFarAheadOfItsWallClock() {
        let wall: UInt64 = 1_800_000_000_000
        #expect(HybridLogicalClock.maxLeadMs == 86_400_000)
        #expect(!HybridLogicalClock.isTooFarAhead(HLCTimestamp(wallMs: wall + 86_400_000, logical: .max), wallMs: wall))
        #expect(HybridLogicalClock.isTooFarAhead(HLCTimestamp(wallMs: wall + 86_400_001, logical: 0), wallMs: wall))
        #expect(HybridLogicalClock.isTooFarAhead(HLCTimestamp(wallMs: .max, logical: .max), wallMs: wall))
        #expect(!HybridLogicalClock.isTooFarAhead(HLCTimestamp(wallMs: .max, logical: .max), wallMs: .max - 5), "no overflow")
        var clock = HybridLogicalClock()
        clock.observe(HLCTimestamp(wallMs: .max, logical: .max), wallMs: wall)
        #expect(clock.last == HLCTimestamp(wallMs: wall, logical: 0))
        #expect(clock.suspiciousObservations == 1)
        clock.observe(HLCTimestamp(wallMs: wall + 3_600_000, logical: 2), wallMs: wall)
        #expect(clock.last == HLCTimestamp(wallMs: wall + 3_600_000, logical: 2), "an hour ahead is within the bound")
        // A wall clock at the end of its range does not overflow the check.
        var late = HybridLogicalClock()
        late.observe(HLCTimestamp(wallMs: 7, logical: 0), wallMs: .max)
        #expect(late.last == HLCTimestamp(wallMs: .max, logical: 0))
    }

    /// A creator whose HLC is near the end of time trapped the fold at the next failsafe
    /// request (`heard + silence`); now the silence simply has not ended.
    @Test func aCreatorDatedNearTheEndOfTimeDoesNotTrapTheFold() {
        var f = TeamFixture()
        f.write(0, .renameTeam(name: "late"), at: .max - 10)
        #expect(f.replica.state.lastHeard[f.id(0)]?.wallMs == UInt64.max - 10)
        let (_, outcome) = f.write(1, .requestPromotion, at: .max - 5)
        #expect(outcome == .rejected(.invalid, "the Super Admin was heard less than 30 days ago"))
    }

    /// `slaSeconds × 1000` trapped for an SLA ≥ 1.8e16 s after commit, in the snapshot; the
    /// validator bounds SLAs at decode (≤ 30 days), and the arithmetic saturates as well.
    @Test func slaArithmeticSaturates() throws {
        #expect(SLAState.of(enteredMs: 0, slaSeconds: .max, nowMs: .max, completed: false) == .overdue)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: .max, nowMs: 1_000, completed: false) == .ok)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: 10, nowMs: .max, completed: false) == .overdue)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: 10, nowMs: 8_000, completed: false) == .warning)
        #expect(throws: OpLimitViolation.self) {
            try OpValidator.validate(.defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: [], slaSeconds: 2_300_000_000_000_000)]))
        }
        // Signed by hand past the validator, the op does not decode.
        var author = OpAuthor(keyPair: keys(9))
        let f = TeamFixture()
        let op = author.write(.defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: [], slaSeconds: .max)]),
                              in: f.replica, wallMs: 5_000)
        #expect(throws: OpError.self) { try SignedOp(serialized: op.serialized) }
    }
}
