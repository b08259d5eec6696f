import Assistant
import Foundation
import Testing

/// The checkout's .venv (where `make venv` installs the model, `tokenizers` and NumPy) and the
/// reference script Tests/Interop/minilm_reference.py run with it.
enum Reference {
    static let checkout: String = {
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var python: String { checkout + "/.venv/bin/python" }
    static var script: String { checkout + "/Tests/Interop/minilm_reference.py" }

    /// The model installed by `make venv`; nil when the venv is missing (tests then say why they skip).
    static let files: MiniLMModelFiles? = try? MiniLMModelFiles.locate(environment: [:], currentDirectory: checkout, executable: nil)

    static var available: Bool { files != nil && FileManager.default.isExecutableFile(atPath: python) }
    static let skipReason: Comment = "needs the model and tokenizers in .venv: run `make venv`"

    /// Loaded once: the weights are 90 MB.
    static let embedder: MiniLMEmbedder? = files.flatMap { try? MiniLMEmbedder(files: $0) }

    /// Runs `minilm_reference.py command` with `texts` as JSON on standard input; the decoded output.
    static func run<T: Decodable>(_ command: String, _ texts: [String], as: T.Type) throws -> T {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, command, files!.directory]
        let input = Pipe(), out = Pipe(), err = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(texts))
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ReferenceError.failed(String(decoding: errors, as: UTF8.self)) }
        return try JSONDecoder().decode(T.self, from: data)
    }

    enum ReferenceError: Error { case failed(String) }
}

/// Sentences that exercise the tokenizer's rules, and the embeddings' ordinary and long inputs.
enum Sentences {
    static let long = String(repeating: "The pump at the northern well stopped twice this week, so the crew replaced its seals. ", count: 20)

    static let varied: [String] = [
        "The cat sits on the mat",
        "Hello, world! Isn't it (really) great?...",
        "Café naïve résumé Ångström façade",
        "ÉCOLE, Straße, ΕΛΛΗΝΙΚΆ, Русский текст",
        "中文字符和日本語のかな, 한국어 텍스트",
        "Emoji 👍🏽 and flags 🇫🇷 with ZWJ 👩‍👩‍👧",
        "Numbers: 3.14159, 1,000,000 and 42nd; 2026-12-03 12:35 UTC",
        "pneumonoultramicroscopicsilicovolcanoconiosis " + String(repeating: "x", count: 101) + " " + String(repeating: "ab", count: 50),
        "",
        "   ",
        "Control\u{0}chars\u{7}and\u{200B}zero\u{FFFD}width\tand\nnewlines\r\u{0B}here",
        "$100 & 50% off @home #tag ~tilde `code` ^caret |pipe| <tag> {brace} [x] \\slash",
        "« guillemets » — em dash – en dash … ellipsis ‘quotes’ “double” ¿Qué? ¡Sí!",
        "unaffable unbelievably antidisestablishmentarianism",
        "Ｆｕｌｌｗｉｄｔｈ ｌｅｔｔｅｒｓ and ﬁ ligature and ½ fraction",
        long,
    ]
}
