import ArgumentParser
import Assistant
import Foundation

/// `--ollama URL`, shared by the commands that talk to a model server.
struct ModelServerOptions: ParsableArguments {
    @Option(name: .customLong("ollama"), help: ArgumentHelp(
        "The Ollama server, as http://HOST:PORT (default: $ELOHIM_OLLAMA, else http://127.0.0.1:11434).", valueName: "URL"))
    var ollama: String?

    /// The client of the server chosen; a bad address fails with the flag or variable to fix.
    func client() throws -> OllamaClient {
        do { return OllamaClient(address: try Self.address(given: ollama)) } catch let error as ValidationError {
            throw fail(error.message)
        }
    }

    /// `given` (an `--ollama` value), else `$ELOHIM_OLLAMA`, else Ollama's own default address.
    /// A bad one is refused naming the flag or variable to fix (`node run` uses this too).
    static func address(given: String?) throws -> ModelServerAddress {
        let environment = ProcessInfo.processInfo.environment[OllamaClient.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let url = given ?? environment else { return .ollamaDefault }
        do { return try ModelServerAddress(parsing: url) } catch {
            throw ValidationError("\(given != nil ? "--ollama" : "$\(OllamaClient.environmentVariable)"): \(error)")
        }
    }
}

/// `elohim assistant models`: the models the server has.
struct AssistantModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models the Ollama server has: name, size, family, when modified.",
        discussion: """
        The names are those `elohim ask --model` and `elohim assistant delete` take. A model the \
        server lacks is fetched with `elohim assistant pull NAME`.

          elohim assistant models
          elohim assistant models --format json
          elohim assistant models --ollama http://gpu-box.local:11434
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var server: ModelServerOptions
    @Option(help: "text (a table) or json (an array, one object a model).") var format: Format = .text

    func run() async throws {
        let client = try server.client()
        let models: [ModelSummary]
        do { models = try await client.listModels() } catch { throw fail("\(error)") }
        switch format {
        case .json:
            let objects: [[String: Any]] = models.map { model in
                var object: [String: Any] = ["name": model.name, "size": model.size]
                if let digest = model.digest { object["digest"] = digest }
                if let modified = model.modifiedAt { object["modified"] = modified }
                if let family = model.details?.family { object["family"] = family }
                if let parameters = model.details?.parameterSize { object["parameter_size"] = parameters }
                if let quantization = model.details?.quantizationLevel { object["quantization"] = quantization }
                return object
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            FileHandleOutput.standardOutput(String(decoding: data, as: UTF8.self) + "\n")
        case .text:
            guard !models.isEmpty else {
                FileHandleOutput.standardError("\(client.baseURL) has no models: fetch one with `elohim assistant pull llama3.2` (about 2 GB)\n")
                return
            }
            Listing.table(["NAME", "SIZE", "FAMILY", "PARAMETERS", "MODIFIED"], models.map { model in
                [model.name, ModelSize.text(model.size), model.details?.family ?? "-",
                 [model.details?.parameterSize, model.details?.quantizationLevel].compactMap { $0 }.joined(separator: " "),
                 ModelSize.when(model.modifiedAt)]
            })
        }
    }
}

/// `elohim assistant pull NAME`: downloads a model to the server, with its progress.
struct AssistantPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model to the Ollama server (from the Ollama registry: the server needs the internet).",
        discussion: """
        The progress goes to standard error: one line that updates on a terminal, otherwise one line \
        a step (a log keeps them). A pull that was interrupted resumes where it stopped. Names are \
        NAME[:TAG], as on ollama.com/library; without a tag, :latest.

          elohim assistant pull llama3.2
          elohim assistant pull qwen2.5:7b --ollama http://gpu-box.local:11434
        """
    )

    @OptionGroup var server: ModelServerOptions
    @Argument(help: "The model, e.g. llama3.2 or qwen2.5:7b.") var name: String

    func run() async throws {
        let client = try server.client()
        let terminal = isatty(2) == 1
        var lastLine = ""
        var drawn = false
        do {
            for try await progress in client.pull(model: name) {
                let line = Self.describe(progress)
                if terminal {
                    // Redrawn in place; padded so a shorter line covers a longer one.
                    FileHandleOutput.standardError("\r" + line.padding(toLength: max(line.count, lastLine.count), withPad: " ", startingAt: 0))
                    drawn = true
                } else if Self.step(line) != Self.step(lastLine) {
                    FileHandleOutput.standardError(line + "\n")
                }
                lastLine = line
            }
        } catch {
            if drawn { FileHandleOutput.standardError("\n") }
            throw fail("\(error)")
        }
        if drawn { FileHandleOutput.standardError("\n") }
        FileHandleOutput.standardOutput("Pulled \(name) to \(client.baseURL)\n")
    }

    /// "pulling 8eeb52dfb3bb  42% of 2.0 GB", or the status alone when there is no size.
    static func describe(_ progress: PullProgress) -> String {
        guard let fraction = progress.fraction, let total = progress.total else { return progress.status }
        return "\(progress.status) \(String(format: "%3d", Int(fraction * 100)))% of \(ModelSize.text(total))"
    }

    /// A line without its percentage: off a terminal, one line is printed a step, not a percent.
    static func step(_ line: String) -> String {
        line.range(of: #"\s+\d+% of .*$"#, options: .regularExpression).map { String(line[..<$0.lowerBound]) } ?? line
    }
}

/// `elohim assistant delete NAME`: removes a model from the server.
struct AssistantDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a model from the Ollama server, freeing its disk space.",
        discussion: """
        The name as `elohim assistant models` lists it (without a tag, :latest). A model deleted \
        can be pulled again.

          elohim assistant delete llama3.2
          elohim assistant delete qwen2.5:7b --ollama http://gpu-box.local:11434
        """
    )

    @OptionGroup var server: ModelServerOptions
    @Argument(help: "The model to delete.") var name: String

    func run() async throws {
        let client = try server.client()
        do { try await client.delete(model: name) } catch ModelServerError.modelNotFound(let name) {
            throw fail("\(client.baseURL) has no model \(name): `elohim assistant models` lists those it has")
        } catch { throw fail("\(error)") }
        FileHandleOutput.standardOutput("Deleted \(name) from \(client.baseURL)\n")
    }
}

/// Model sizes and dates as Ollama's own CLI shows them.
enum ModelSize {
    /// Decimal units, as Ollama and model pages state sizes: "4.7 GB".
    static func text(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// "2026-12-03 14:22" in this machine's time zone, from the server's RFC 3339 time (whose
    /// nanoseconds ISO8601DateFormatter does not read, so they are cut first); the text as given otherwise.
    static func when(_ rfc3339: String?) -> String {
        guard let rfc3339 else { return "-" }
        let trimmed = rfc3339.replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)
        guard let date = ISO8601DateFormatter().date(from: trimmed) else { return rfc3339 }
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd HH:mm"
        return format.string(from: date)
    }
}
