import Foundation
import Sodium
import Testing
import Wire
@testable import Replicas

/// The edges issue: text is limited in bytes, not characters, and the same validator runs when
/// an op is written and when it is read back, so nothing a replica signs can brick it.
@Suite struct OpLimitsTests {
    /// One grapheme, 3,001 bytes: `e` and 1,500 combining acute accents (U+0301, 2 bytes each).
    static let oneCharacterTitle = "e" + String(repeating: "\u{0301}", count: 1500)

    @Test func theCombiningAccentTitleIsOneCharacterButTooManyBytes() {
        #expect(Self.oneCharacterTitle.count == 1)
        #expect(Self.oneCharacterTitle.utf8.count == 3001)
        let x = OpID(bytes: [UInt8](repeating: 7, count: 32))!
        #expect(throws: OpLimitViolation(field: "title", limit: "1 to 1000 bytes (UTF-8)", found: "3001 bytes")) {
            try OpValidator.validate(.createItem(workflow: x, title: Self.oneCharacterTitle, priority: 5))
        }
    }

    @Test func everyLimitAcceptsItsBoundAndRefusesOnePast() throws {
        let x = OpID(bytes: [UInt8](repeating: 7, count: 32))!
        func stage(_ name: String = "s", sla: UInt64? = nil) -> StageDefinition { StageDefinition(name: name, roles: [.member], slaSeconds: sla) }
        let ok: [TeamOperation] = [
            .createTeam(name: String(repeating: "é", count: 100), nonce: [UInt8](repeating: 1, count: 64)),
            .renameTeam(name: String(repeating: "a", count: 200)),
            .defineWorkflow(name: "w", stages: Array(repeating: stage(sla: 30 * 86_400), count: 32)),
            .createItem(workflow: x, title: String(repeating: "t", count: 1000), priority: 9),
            .setPriority(x, 0),
            .putBlob(BlobMetadata(blob: x, name: String(repeating: "n", count: 1000), size: 10, chunks: [x, x], chunkSize: 5)),
            .putBlob(BlobMetadata(blob: x, name: "empty", size: 0, chunks: [], chunkSize: 524_288)),
        ]
        for op in ok { try OpValidator.validate(op) }
        let refused: [(TeamOperation, String)] = [
            (.createTeam(name: String(repeating: "é", count: 101), nonce: []), "name"),
            (.createTeam(name: "crew", nonce: [UInt8](repeating: 1, count: 65)), "nonce"),
            (.renameTeam(name: ""), "name"),
            (.defineWorkflow(name: "w", stages: []), "stages"),
            (.defineWorkflow(name: "w", stages: Array(repeating: stage(), count: 33)), "stages"),
            (.defineWorkflow(name: "w", stages: [stage(), stage(String(repeating: "s", count: 201))]), "stages[1].name"),
            (.defineWorkflow(name: "w", stages: [stage(sla: 30 * 86_400 + 1)]), "stages[0].slaSeconds"),
            (.defineWorkflow(name: "w", stages: [stage(sla: UInt64.max)]), "stages[0].slaSeconds"),
            (.defineWorkflow(name: "w", stages: [stage(sla: 0)]), "stages[0].slaSeconds"),
            (.defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: Array(repeating: .member, count: 5), slaSeconds: nil)]),
             "stages[0].roles"),
            (.createItem(workflow: x, title: String(repeating: "t", count: 1001), priority: 1), "title"),
            (.createItem(workflow: x, title: "t", priority: 10), "priority"),
            (.setPriority(x, -1), "priority"),
            (.putBlob(BlobMetadata(blob: x, name: String(repeating: "n", count: 1001), size: 1, chunks: [x], chunkSize: 5)), "name"),
            (.putBlob(BlobMetadata(blob: x, name: "n", size: 11, chunks: [x, x], chunkSize: 5)), "size"),
            (.putBlob(BlobMetadata(blob: x, name: "n", size: 1, chunks: [x], chunkSize: 0)), "chunkSize"),
        ]
        for (op, field) in refused {
            #expect(throws: OpLimitViolation.self, "\(op.name) \(field)") { try OpValidator.validate(op) }
            do { try OpValidator.validate(op) } catch { #expect(error.field == field, "\(op.name)") }
        }
    }

    /// An op signed with a limit broken (by an older or hostile node) does not decode, so it never
    /// enters a replica; the field and the limit are named.
    @Test func anOverLimitOpSignedByHandIsRefusedWhenDecoded() throws {
        let f = TeamFixture()
        let x = OpID(bytes: [UInt8](repeating: 7, count: 32))!
        let body = OpBody(authorKey: keys(1).publicKey, seq: 9, hlc: HLCTimestamp(wallMs: 9_000, logical: 0), team: f.replica.id,
                          operation: .createItem(workflow: x, title: Self.oneCharacterTitle, priority: 5))
        let signed = SignedOp.sign(body, with: keys(1))
        #expect(throws: OpError.badField("create-item.title", reason: "must be 1 to 1000 bytes (UTF-8); it is 3001 bytes")) {
            try SignedOp(serialized: signed.serialized)
        }
    }
}
