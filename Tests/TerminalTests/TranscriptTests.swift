import Foundation
import Testing
@testable import Terminal

@Suite struct TranscriptRetentionTests {
    @Test func keepsWhatIsYoungerThanTheRetentionAndEveryRunningSession() {
        let day: UInt64 = 86_400_000
        let now = 10 * day
        let r = TranscriptRetention(days: 2)
        let files = [TranscriptRetention.File(name: "c.cast", modifiedMs: now - 3 * day), .init(name: "a.cast", modifiedMs: now - 5 * day),
                     .init(name: "b.cast", modifiedMs: now - day), .init(name: "run.cast", modifiedMs: now - 9 * day),
                     .init(name: "edge.cast", modifiedMs: now - 2 * day), .init(name: "future.cast", modifiedMs: now + day)]
        #expect(r.expired(files, running: ["run.cast"], nowMs: now) == ["a.cast", "c.cast"])
        #expect(TranscriptRetention(days: -4).retentionMs == 0)
    }
}

@Suite struct TerminalTranscriptTests {
    static func temp() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("transcript-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func stopsAtItsLimitWithOneMarkerAndRefusesAnExistingFileOrALink() throws {
        let dir = Self.temp()
        let path = dir + "/s.cast"
        let t = try TerminalTranscript(path: path, cols: 80, rows: 24, command: ["/bin/sh"], startedAtSeconds: 1, maxBytes: 400)
        for _ in 0..<100 { t.output(Array(repeating: UInt8(ascii: "x"), count: 50)) }
        t.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.last?.contains("reached its limit of 400 bytes") == true)
        #expect(text.utf8.count <= 400 + 200, "the limit holds, with one marker line past it")
        #expect(lines.filter { $0.contains(#""m""#) }.count == 1)
        #expect(throws: (any Error).self) { try TerminalTranscript(path: path, cols: 1, rows: 1, command: [], startedAtSeconds: 0) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.cast", withDestinationPath: dir + "/elsewhere")
        #expect(throws: (any Error).self) { try TerminalTranscript(path: dir + "/link.cast", cols: 1, rows: 1, command: [], startedAtSeconds: 0) }
        #expect(!FileManager.default.fileExists(atPath: dir + "/elsewhere"))
    }

    @Test func bytesThatAreNotUTF8BecomeReplacementCharacters() throws {
        let path = Self.temp() + "/u.cast"
        let t = try TerminalTranscript(path: path, cols: 80, rows: 24, command: ["sh"], startedAtSeconds: 1)
        t.output([0x68, 0x69, 0xFF, 0xC3, 0xA9])
        t.close()
        let last = try #require(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").last)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [Any])
        #expect(event[1] as? String == "o" && event[2] as? String == "hi\u{FFFD}é")
    }
}
