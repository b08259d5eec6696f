import Testing
@testable import Services

/// The order of a panic wipe: keys first (identity, login-signing key, operator token, other
/// *.key), then the database (newest pages first), data-engine/, the rest by name, the folder.
@Suite struct PanicPlanTests {
    typealias E = PanicPlan.Entry

    @Test func keysComeFirstThenTheDatabaseThenTheRest() {
        let plan = PanicPlan(entries: [
            E("workspace", isFolder: true), E("node.json"), E("api-token"), E("elohim.sqlite"), E("elohim.sqlite-shm"),
            E("data-engine", isFolder: true), E("jwt-signing.key"), E("node.lock"), E("elohim.sqlite-wal"), E("identity.key"),
            E("extra.key"), E("assistant", isFolder: true),
        ])
        #expect(plan.keys == [.shred("identity.key"), .shred("jwt-signing.key"), .shred("api-token"), .shred("extra.key"),
                              .zeroSealedKeys("elohim.sqlite")])
        #expect(plan.rest == [.remove("elohim.sqlite-wal"), .remove("elohim.sqlite-shm"), .remove("elohim.sqlite"),
                              .remove("data-engine"), .remove("assistant"), .remove("node.json"), .remove("node.lock"),
                              .remove("workspace"), .removeFolder])
    }

    @Test func onlyWhatIsThereIsPlanned() {
        let plan = PanicPlan(entries: [E("identity.key"), E("notes.txt")])
        #expect(plan.keys == [.shred("identity.key")])
        #expect(plan.rest == [.remove("notes.txt"), .removeFolder])
        #expect(PanicPlan(entries: []).keys == [])
        #expect(PanicPlan(entries: []).rest == [.removeFolder])
    }

    @Test func aFolderNamedLikeAKeyIsRemovedNotShredded() {
        let plan = PanicPlan(entries: [E("odd.key", isFolder: true), E("identity.key", isFolder: true)])
        #expect(plan.keys == [])
        #expect(plan.rest == [.remove("identity.key"), .remove("odd.key"), .removeFolder])
    }
}
