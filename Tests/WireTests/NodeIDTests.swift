import Sodium
import Testing
@testable import Wire

@Suite struct NodeIDTests {
    /// A few IDs from fixed keys, so failures replay.
    var samples: [NodeID] {
        (1...5).map { i in NodeID(publicKey: Ed25519KeyPair(seed: [UInt8](repeating: UInt8(i), count: 32))!.publicKey) }
    }

    @Test func textRoundTripsAndIsCanonical() throws {
        for id in samples {
            let text = id.description
            #expect(text.count == NodeID.textLength)
            #expect(try NodeID(parsing: text) == id)
            #expect(try NodeID(parsing: text.lowercased()) == id)
            // Dashes and spaces are ignored; O and I/L are read as 0 and 1.
            let grouped = stride(from: 0, to: text.count, by: 4).map { i in
                String(text.dropFirst(i).prefix(4))
            }.joined(separator: "-")
            #expect(try NodeID(parsing: grouped) == id)
            let aliased = text.replacingOccurrences(of: "0", with: "O").replacingOccurrences(of: "1", with: "l")
            #expect(try NodeID(parsing: aliased) == id)
        }
    }

    /// The property PROTOCOL.md promises: every one-symbol substitution, deletion and insertion
    /// of a node ID is rejected.
    @Test func everyOneSymbolTypoIsCaught() {
        let alphabet = CrockfordBase32.alphabet
        var checked = 0
        for id in samples {
            let symbols = Array(id.description)
            for position in symbols.indices {
                for replacement in alphabet where replacement != symbols[position] {
                    var typo = symbols
                    typo[position] = replacement
                    #expect(throws: NodeIDParseError.self) { try NodeID(parsing: String(typo)) }
                    checked += 1
                }
                var deleted = symbols
                deleted.remove(at: position)
                #expect(throws: NodeIDParseError.self) { try NodeID(parsing: String(deleted)) }
                for inserted in alphabet {
                    var longer = symbols
                    longer.insert(inserted, at: position)
                    #expect(throws: NodeIDParseError.self) { try NodeID(parsing: String(longer)) }
                }
            }
        }
        #expect(checked == 5 * 33 * 31)
    }

    @Test func errorsSayWhatWasWrong() {
        let id = samples[0].description
        #expect(throws: NodeIDParseError.wrongLength(found: 32, text: String(id.dropLast()))) {
            try NodeID(parsing: String(id.dropLast()))
        }
        let withU = "U" + id.dropFirst()
        #expect(throws: NodeIDParseError.invalidSymbol("U", position: 1, text: withU)) { try NodeID(parsing: withU) }
        let message = NodeIDParseError.checkFailed(text: "X").description
        #expect(message.contains("mistyped"))
    }

    /// The example of PROTOCOL.md section 2, computed there with Python's hashlib.
    @Test func protocolExample() throws {
        let pair = Ed25519KeyPair(seed: [UInt8](repeating: 1, count: 32))!
        let id = NodeID(publicKey: pair.publicKey)
        #expect(Hex.encode(id.bytes) == "6570dada2c4bad181289bfdb8f91150debb2e516")
        #expect(id.description == "CNRDNPHC9EPHG4M9QZDRZ48N1QNV5S8PS")
    }

    @Test func derivationIsDomainSeparatedBLAKE2b160() {
        let pair = Ed25519KeyPair(seed: [UInt8](repeating: 7, count: 32))!
        let expected = BLAKE2b.hash(NodeID.derivationTag + pair.publicKey.bytes, outputLength: 20)
        #expect(NodeID(publicKey: pair.publicKey).bytes == expected)
    }

    @Test func orderFollowsBytes() {
        let a = NodeID(bytes: [UInt8](repeating: 0, count: 19) + [1])!
        let b = NodeID(bytes: [1] + [UInt8](repeating: 0, count: 19))!
        #expect(a < b)
        #expect(NodeID(bytes: [1, 2]) == nil)
    }
}

@Suite struct CrockfordTests {
    @Test func luhnCatchesAdjacentSwapsOfMostPairs() {
        // Luhn mod N misses a swap only when the two values differ by N/2 or are 0 and N-1.
        var missed = 0
        for a in 0..<32 {
            for b in 0..<32 where a != b {
                let base = [5, a, b, 9]
                let swapped = [5, b, a, 9]
                if CrockfordBase32.luhnCheckValue(base) == CrockfordBase32.luhnCheckValue(swapped) { missed += 1 }
            }
        }
        #expect(missed <= 2 * 32 + 2)
    }

    @Test func encodeDecodeRoundTrip() {
        let bytes: [UInt8] = [0xFF, 0x00, 0x12, 0x34, 0x56]
        let text = CrockfordBase32.encode(bytes)
        let values = text.map { CrockfordBase32.value(of: $0)! }
        #expect(CrockfordBase32.decode(values: values, byteCount: 5) == bytes)
        #expect(CrockfordBase32.value(of: "u") == nil)
        #expect(CrockfordBase32.value(of: "o") == 0)
    }
}
