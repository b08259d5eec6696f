import Testing
@testable import MeshCore

@Suite struct OmniCodeTests {
    @Test func forgivesCaseAliasesAndDashes() throws {
        let canonical = try OmniCode(parsing: "OMNI-7K3D-QX9M")
        #expect(canonical.description == "OMNI-7K3D-QX9M")
        #expect(canonical.tag == "7K3D")
        for typed in ["omni-7k3d-qx9m", "OMNI7K3DQX9M", "7K3D-QX9M", " omni 7k3d qx9m ", "7k3dqx9m", "OMNI--7K3D--QX9M"] {
            #expect(try OmniCode(parsing: typed) == canonical, "\(typed)")
        }
        #expect(try OmniCode(parsing: "OMNI-O1IL-0000").description == "OMNI-0111-0000")
    }

    @Test func refusesWithAMessageThatSaysWhy() {
        #expect(throws: OmniCodeError.badSymbol("U")) { try OmniCode(parsing: "OMNI-UK3D-QX9M") }
        #expect(throws: OmniCodeError.wrongLength(7)) { try OmniCode(parsing: "OMNI-7K3D-QX9") }
        #expect(throws: OmniCodeError.wrongLength(9)) { try OmniCode(parsing: "OMNI-7K3D-QX9MM") }
        #expect(throws: OmniCodeError.badSymbol("!")) { try OmniCode(parsing: "OMNI-7K3D-QX9!") }
        #expect("\(OmniCodeError.badSymbol("U"))".contains("without I, L, O and U"))
    }

    @Test func randomCodesRoundTripAndSpreadOverTheAlphabet() throws {
        var rng = SeededGenerator(seed: 7)
        var seen = Set<Character>()
        for _ in 0..<200 {
            let code = OmniCode.random(using: &rng)
            #expect(try OmniCode(parsing: code.description) == code)
            #expect(OmniCode.isTag(code.tag))
            seen.formUnion(code.symbols)
        }
        #expect(seen.count == 32)
    }
}
