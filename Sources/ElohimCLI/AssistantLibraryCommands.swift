import ArgumentParser
import Assistant
import Foundation

/// `elohim assistant index PATH…`: adds documents to your library on the node.
struct AssistantIndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Add documents to your assistant library on the node (text, Markdown, PDF, Word).",
        discussion: """
        Each file is sent to the node, which reads its text (.txt .text .log .md .markdown; .pdf \
        through pdftotext; .docx), cuts it into chunks of about 250 word pieces with 50 of \
        overlap, embeds each (all-MiniLM-L6-v2, on the node's CPU) and indexes it for full-text \
        search. Only you search your library. A file already added (the same bytes) is not added \
        twice. At most 20 MiB a file; a folder is not walked (name its files).

          elohim assistant index manuals/pump-p200.pdf reports/week-14.docx
          elohim assistant index notes/*.md

        From a team's vault: --vault-file NAME (repeatable) fetches the sealed file, opens it here \
        with the vault passphrase (--passphrase-file, $ELOHIM_VAULT_PASSPHRASE, or a prompt) and adds \
        its text to your library on this machine's node (never another's: the text would cross the \
        network in clear; it is kept in the library's database like any document you add).

          elohim assistant index --team "Water crew" --vault-file pump-manual.pdf
        """
    )

    @Argument(help: ArgumentHelp("The files to add.", valueName: "path")) var paths: [String] = []
    @Option(name: .customLong("vault-file"), help: ArgumentHelp("A file of the team's vault to add (repeatable).", valueName: "name"))
    var vaultFiles: [String] = []
    @Option(help: ArgumentHelp("The team whose vault --vault-file reads: its name, ID or ID prefix.", valueName: "team")) var team: String?
    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the vault passphrase from this file (its first line).", valueName: "path"))
    var passphraseFile: String?
    @OptionGroup(title: "Node") var api: APIOptions

    func validate() throws {
        if paths.isEmpty && vaultFiles.isEmpty { throw ValidationError("name the files to add (or --vault-file NAME with --team)") }
        if !vaultFiles.isEmpty && team == nil { throw ValidationError("--vault-file needs --team: the team whose vault holds it") }
    }

    struct Added: Decodable { let document: StoredDocument; let alreadyHeld: Bool }

    /// RFC 3986's unreserved characters: everything else in a file name is percent-encoded.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    func run() async throws {
        let client = try api.client()
        var failed = 0
        var sources = paths.map { (path: $0, name: ($0 as NSString).lastPathComponent, label: $0) }
        let scratch = try ScratchFolder()
        if !vaultFiles.isEmpty {
            // A vault file is opened here: its clear text may go to this machine's node only.
            let host = client.base.host ?? ""
            guard ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) else {
                throw fail("--vault-file opens the file on this machine, and \(host) is another: its text would cross the network in clear. "
                           + "Run the command on that node's machine (or copy the file there and add it from there)")
            }
            var options = try VaultOptions.parse(["--team", team!] + (passphraseFile.map { ["--passphrase-file", $0] } ?? []))
            options.api = api
            let session = try await options.open()
            let opened = try scratch.sub("vault")
            for name in vaultFiles {
                let local = (opened as NSString).appendingPathComponent((name as NSString).lastPathComponent)
                let (path, _) = try await VaultTransfer.get(name: name, output: { _, _ in local }, force: true, session: session)
                sources.append((path, (name as NSString).lastPathComponent, "vault file \(name)"))
            }
        }
        for (i, (path, name, label)) in sources.enumerated() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandleOutput.standardError("error: \(label): cannot read it (missing, a folder, or not readable)\n")
                failed += 1
                continue
            }
            if sources.count > 1 { FileHandleOutput.standardError("[\(i + 1)/\(sources.count)] \(label)…\n") }
            let query = name.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? name
            do {
                let added: Added = try await client.postBytes("api/v1/assistant/documents?name=\(query)", [UInt8](data))
                let d = added.document
                if added.alreadyHeld {
                    FileHandleOutput.standardOutput("\(label): already in your library as \(d.name) (document \(d.id))\n")
                } else {
                    FileHandleOutput.standardOutput("\(label): added as document \(d.id), \(d.chunks) chunk\(d.chunks == 1 ? "" : "s")\(d.truncated ? " (its text passed 8 MiB: only the beginning was indexed)" : "")\n")
                }
            } catch {
                FileHandleOutput.standardError("error: \(label): \(error)\n")
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }
}

/// `elohim assistant search QUERY`: the best passages of your documents.
struct AssistantSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the passages of your documents that best answer a question.",
        discussion: """
        Ranks by meaning (vectors) and by words (full-text) together; each result names its \
        document and place (page, lines, heading).

          elohim assistant search "where is the spare impeller kept?"
          elohim assistant search "MS-2214" --top 10 --format json
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The question or words to look for.") var query: String
    @Option(help: "How many results (1 to 50).") var top: Int = 5
    @Option(help: "text, or json (the node's answer).") var format: Format = .text
    @OptionGroup(title: "Node") var api: APIOptions

    struct Body: Encodable { let query: String; let top: Int }
    struct Results: Decodable { let results: [SearchHit] }

    func validate() throws {
        guard (1...DocumentLibrary.maxTop).contains(top) else { throw ValidationError("--top must be between 1 and \(DocumentLibrary.maxTop)") }
    }

    func run() async throws {
        let client = try api.client()
        if format == .json {
            do { FileHandleOutput.standardOutput(String(decoding: try await client.postRaw("api/v1/assistant/search", Body(query: query, top: top)), as: UTF8.self) + "\n") }
            catch { throw fail(error) }
            return
        }
        let results: Results
        do { results = try await client.post("api/v1/assistant/search", Body(query: query, top: top), timeout: 120) } catch { throw fail(error) }
        if results.results.isEmpty {
            FileHandleOutput.standardOutput("nothing found: your library is empty or holds no such words (`elohim assistant index FILE` adds documents)\n")
            return
        }
        for (i, hit) in results.results.enumerated() {
            let similarity = hit.similarity.map { String(format: ", similarity %.2f", $0) } ?? ""
            FileHandleOutput.standardOutput("\(i + 1). \(hit.documentName), \(hit.place) (document \(hit.document)\(similarity))\n")
            FileHandleOutput.standardOutput(Self.excerpt(hit.text) + "\n\n")
        }
    }

    /// The passage on a few indented lines, whitespace folded, at most 400 characters.
    static func excerpt(_ text: String) -> String {
        let folded = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        let cut = folded.count > 400 ? String(folded.prefix(400)) + "…" : folded
        var lines: [String] = [], line = ""
        for word in cut.split(separator: " ") {
            if line.count + word.count + 1 > 96, !line.isEmpty { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { "   " + $0 }.joined(separator: "\n")
    }
}

/// `elohim assistant documents`: what your library holds.
struct AssistantDocumentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "documents",
        abstract: "List the documents in your assistant library, newest first.",
        discussion: "  elohim assistant documents\n  elohim assistant documents --format json"
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }
    @Option(help: "text or json.") var format: Format = .text
    @OptionGroup(title: "Node") var api: APIOptions
    struct List: Codable { let documents: [StoredDocument] }

    func run() async throws {
        let client = try api.client()
        let list: List
        do { list = try await client.get("api/v1/assistant/documents") } catch { throw fail(error) }
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            FileHandleOutput.standardOutput(String(decoding: try encoder.encode(list), as: UTF8.self) + "\n")
            return
        }
        if list.documents.isEmpty { FileHandleOutput.standardOutput("your library is empty: `elohim assistant index FILE` adds documents\n"); return }
        for d in list.documents {
            FileHandleOutput.standardOutput("\(d.id)\t\(d.kind.rawValue)\t\(d.chunks) chunks\t\(d.bytes) bytes\t\(d.name)\n")
        }
    }
}

/// `elohim assistant remove ID`: takes a document out of your library.
struct AssistantRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a document (by its id, as `elohim assistant documents` lists it) from your library.",
        discussion: "  elohim assistant remove 4"
    )
    @Argument(help: "The document's id.") var id: Int64
    @OptionGroup(title: "Node") var api: APIOptions
    struct Removed: Decodable { let removed: Int64 }

    func run() async throws {
        let client = try api.client()
        let removed: Removed
        do { removed = try await client.delete("api/v1/assistant/documents/\(id)") } catch { throw fail(error) }
        FileHandleOutput.standardOutput("removed document \(removed.removed)\n")
    }
}
