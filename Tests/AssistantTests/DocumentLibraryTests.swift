@testable import Assistant
import Foundation
import Testing
import ZIPFoundation

/// A stand-in embedding for the library's bookkeeping tests: a bag of words hashed into 64
/// dimensions (FNV-1a, so it is the same in every process), unit length. Retrieval quality is
/// tested with the real model in RetrievalRecallTests.
struct BagOfWordsEmbedder: EmbeddingBackend {
    let dimensions = 64
    var failing = false

    struct Failure: Error {}

    func embed(_ texts: [String]) throws -> [[Float]] {
        if failing { throw Failure() }
        return texts.map { text in
            var v = [Float](repeating: 0, count: dimensions)
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
                var h: UInt64 = 0xcbf29ce484222325
                for b in word.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
                v[Int(h % UInt64(dimensions))] += 1
            }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n > 0 ? v.map { $0 / n } : v.enumerated().map { $0.offset == 0 ? 1 : 0 }
        }
    }
}

@Suite struct DocumentLibraryTests {
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "library-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func library(_ path: String, embedder: BagOfWordsEmbedder = BagOfWordsEmbedder(), model: String = "bag-of-words") throws -> DocumentLibrary {
        try DocumentLibrary(path: path + "/library.sqlite", embedder: embedder, modelName: model,
                            chunker: TextChunker(maxPieces: 40, overlapPieces: 8) { _ in 1 })
    }

    static let pumps = Data("""
        # Pump care
        The north well pump needs new seals every 400 hours. Spare seals are in bin C-14.

        # Generator
        The generator runs on diesel. Check its oil level before every start.
        """.utf8)
    static let radios = Data("Radio checks happen at 0800 and 2000 on channel 6. Batteries charge overnight.".utf8)

    @Test func aPersonFindsTheirOwnDocumentsAndNoOneElses() async throws {
        let path = try Self.folder()
        let library = try Self.library(path)
        let added = try await library.add(owner: "ana", name: "pumps.md", bytes: Self.pumps)
        #expect(!added.alreadyHeld && added.document.kind == .markdown && added.document.chunks >= 1)
        _ = try await library.add(owner: "ben", name: "radio.txt", bytes: Self.radios)

        let hits = try await library.search(owner: "ana", query: "where are the spare seals? C-14", top: 3)
        #expect(hits.first?.documentName == "pumps.md")
        #expect(hits.first?.text.contains("bin C-14") == true)
        #expect(hits.first?.place.hasPrefix("Pump care") == true)
        #expect(hits.allSatisfy { $0.documentName == "pumps.md" }, "ben's radio notes are not ana's")
        let bens = try await library.search(owner: "ben", query: "spare seals bin C-14 pump", top: 5)
        #expect(bens.allSatisfy { $0.documentName == "radio.txt" })
        #expect(try await library.search(owner: "carl", query: "pump", top: 5).isEmpty)
        #expect(try await library.documents(owner: "ana").map(\.name) == ["pumps.md"])
    }

    @Test func theSameBytesAreHeldOnceAndRemovalTakesEverything() async throws {
        let path = try Self.folder()
        let library = try Self.library(path)
        let first = try await library.add(owner: "ana", name: "pumps.md", bytes: Self.pumps)
        let again = try await library.add(owner: "ana", name: "copy.md", bytes: Self.pumps)
        #expect(again.alreadyHeld && again.document == first.document)
        #expect(await library.chunkCount == first.document.chunks)

        try await library.remove(owner: "ana", id: first.document.id)
        #expect(await library.chunkCount == 0)
        #expect(try await library.search(owner: "ana", query: "seals", top: 5).isEmpty)
        let keyword = try library.store.keywordSearch(match: "\"seals\"", owner: "ana", limit: 5)
        #expect(keyword.isEmpty, "the full-text index forgot the chunks too")
        await #expect(throws: LibraryError.noSuchDocument(id: first.document.id)) { try await library.remove(owner: "ana", id: first.document.id) }
        // Someone else cannot remove ana's document.
        let other = try await library.add(owner: "ana", name: "radio.txt", bytes: Self.radios)
        await #expect(throws: LibraryError.noSuchDocument(id: other.document.id)) { try await library.remove(owner: "ben", id: other.document.id) }
    }

    /// Two uploads of one file at once both wait for their embeddings; before, the second
    /// insert broke the (owner, sha256) constraint and the API answered 500.
    @Test func theSameBytesAddedTwiceAtOnceAreHeldOnce() async throws {
        let library = try Self.library(try Self.folder())
        async let a = library.add(owner: "ana", name: "pumps.md", bytes: Self.pumps)
        async let b = library.add(owner: "ana", name: "pumps-again.md", bytes: Self.pumps)
        let (first, second) = try await (a, b)
        #expect([first.alreadyHeld, second.alreadyHeld].filter { $0 }.count == 1)
        #expect(first.document == second.document)
        #expect(await library.chunkCount == first.document.chunks)
        #expect(try await library.documents(owner: "ana").count == 1)
    }

    @Test func aReopenedLibrarySearchesAsBefore() async throws {
        let path = try Self.folder()
        var before: [SearchHit] = []
        do {
            let library = try Self.library(path)
            _ = try await library.add(owner: "ana", name: "pumps.md", bytes: Self.pumps)
            _ = try await library.add(owner: "ana", name: "radio.txt", bytes: Self.radios)
            before = try await library.search(owner: "ana", query: "diesel oil", top: 5)
        }
        let reopened = try Self.library(path)
        #expect(try await reopened.search(owner: "ana", query: "diesel oil", top: 5) == before)
        #expect(!before.isEmpty)
    }

    @Test func aLibraryMadeByAnotherModelIsRefused() async throws {
        let path = try Self.folder()
        _ = try Self.library(path)
        #expect(throws: LibraryError.self) { try Self.library(path, model: "other-model") }
    }

    @Test func refusalsSayWhatWasWrong() async throws {
        let path = try Self.folder()
        let library = try Self.library(path)
        await #expect(throws: LibraryError.badName("a/b.txt")) { try await library.add(owner: "ana", name: "a/b.txt", bytes: Self.radios) }
        await #expect(throws: LibraryError.badName("")) { try await library.add(owner: "ana", name: "", bytes: Self.radios) }
        await #expect(throws: ExtractionError.unsupportedKind(name: "run.exe")) { try await library.add(owner: "ana", name: "run.exe", bytes: Self.radios) }
        await #expect(throws: ExtractionError.notUTF8(name: "x.txt")) { try await library.add(owner: "ana", name: "x.txt", bytes: Data([0xFF, 0xFE, 0x41])) }
        await #expect(throws: ExtractionError.noText(name: "x.txt")) { try await library.add(owner: "ana", name: "x.txt", bytes: Data(" -- \n".utf8)) }
        await #expect(throws: LibraryError.emptyQuery) { try await library.search(owner: "ana", query: " ?! ", top: 5) }
        await #expect(throws: LibraryError.badTop(0, limit: DocumentLibrary.maxTop)) { try await library.search(owner: "ana", query: "pump", top: 0) }
        await #expect(throws: LibraryError.badTop(51, limit: DocumentLibrary.maxTop)) { try await library.search(owner: "ana", query: "pump", top: 51) }
        let long = String(repeating: "pump ", count: 1000)
        await #expect(throws: LibraryError.queryTooLong(bytes: long.utf8.count, limit: DocumentLibrary.maxQueryBytes)) {
            try await library.search(owner: "ana", query: long, top: 5)
        }
        #expect(try await library.documents(owner: "ana").isEmpty)
        #expect("\(LibraryError.emptyQuery)".contains("at least one word"))
    }

    /// Past `approximateAbove` chunks the library keeps an HNSW graph beside the exact index and
    /// searches it for an owner holding a tenth of the chunks or more; here the bar is 10 chunks.
    @Test func pastTheBarSearchGoesThroughTheApproximateIndexWithTheSameResults() async throws {
        let path = try Self.folder()
        let library = try DocumentLibrary(path: path + "/library.sqlite", embedder: BagOfWordsEmbedder(), modelName: "bag-of-words",
                                          chunker: TextChunker(maxPieces: 12, overlapPieces: 2) { _ in 1 }, approximateAbove: 10)
        let exactOnly = try DocumentLibrary(path: path + "/exact.sqlite", embedder: BagOfWordsEmbedder(), modelName: "bag-of-words",
                                            chunker: TextChunker(maxPieces: 12, overlapPieces: 2) { _ in 1 })
        for l in [library, exactOnly] {
            _ = try await l.add(owner: "ana", name: "pumps.md", bytes: Self.pumps)
            _ = try await l.add(owner: "ana", name: "radio.txt", bytes: Self.radios)
            _ = try await l.add(owner: "ben", name: "ben.txt", bytes: Data(String(repeating: "Fuel log entry for the generator. ", count: 20).utf8))
        }
        let built = await library.approximate != nil, notBuilt = await exactOnly.approximate == nil
        #expect(built && notBuilt)
        #expect(await library.usesApproximate(owner: "ana"))
        for query in ["spare seals bin C-14", "radio channel batteries", "diesel oil generator"] {
            let a = try await library.search(owner: "ana", query: query, top: 3).map(\.text)
            let b = try await exactOnly.search(owner: "ana", query: query, top: 3).map(\.text)
            #expect(a == b, "\(query)")
        }
        #expect(try await library.search(owner: "ana", query: "fuel log generator", top: 5).allSatisfy { $0.documentName != "ben.txt" })
        // Removal reaches the graph; a reopened library builds it again.
        let pumps = try await library.documents(owner: "ana").first { $0.name == "pumps.md" }!
        try await library.remove(owner: "ana", id: pumps.id)
        #expect(try await library.search(owner: "ana", query: "spare seals bin C-14", top: 5).allSatisfy { $0.documentName != "pumps.md" })
        let reopened = try DocumentLibrary(path: path + "/library.sqlite", embedder: BagOfWordsEmbedder(), modelName: "bag-of-words",
                                           chunker: TextChunker(maxPieces: 12, overlapPieces: 2) { _ in 1 }, approximateAbove: 10)
        let graphCount = await reopened.approximate?.count, chunkCount = await reopened.chunkCount
        #expect(graphCount == chunkCount)
    }

    @Test func aFailedEmbeddingLeavesNothingBehind() async throws {
        let path = try Self.folder()
        let library = try Self.library(path, embedder: BagOfWordsEmbedder(failing: true))
        await #expect(throws: BagOfWordsEmbedder.Failure.self) { try await library.add(owner: "ana", name: "pumps.md", bytes: Self.pumps) }
        #expect(try await library.documents(owner: "ana").isEmpty)
        #expect(await library.chunkCount == 0)
    }
}

@Suite struct DocumentExtractionTests {
    /// A .docx made here: paragraphs, a run split in two, an entity, a non-ASCII word, a table.
    static func docx(_ body: String) throws -> Data {
        let archive = try Archive(accessMode: .create)
        let xml = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\(body)</w:body></w:document>
            """
        let bytes = Data(xml.utf8)
        try archive.addEntry(with: "word/document.xml", type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
            bytes.subdata(in: Int(position)..<Int(position) + size)
        }
        return try #require(archive.data)
    }

    @Test func wordDocumentsGiveTheirParagraphs() throws {
        let data = try Self.docx("""
            <w:p><w:r><w:t>Pump </w:t></w:r><w:r><w:t>report</w:t></w:r></w:p>\
            <w:p><w:r><w:t>Seals &amp; gaskets from Zürich</w:t><w:tab/><w:t>ok</w:t></w:r></w:p>\
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell one</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>cell two</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            """)
        let result = try DocumentExtractor().extract(name: "report.docx", bytes: data)
        #expect(result.kind == .docx)
        #expect(result.text.text == "Pump report\nSeals & gaskets from Zürich\tok\ncell one\ncell two\n")
    }

    @Test func aWordDocumentThatInflatesPastTheLimitIsRefused() throws {
        var extractor = DocumentExtractor()
        extractor.maxTextBytes = 1000  // document.xml may then be 4000 bytes
        let big = try Self.docx("<w:p><w:r><w:t>" + String(repeating: "a", count: 20_000) + "</w:t></w:r></w:p>")
        #expect(big.count < 2000, "it compresses well, as a bomb does")
        #expect(throws: ExtractionError.self) { try extractor.extract(name: "bomb.docx", bytes: big) }
        #expect(throws: ExtractionError.docxUnreadable(name: "x.docx", detail: "not a ZIP archive")) {
            try DocumentExtractor().extract(name: "x.docx", bytes: Data("hello".utf8))
        }
    }

    @Test func limitsAndMissingToolsAreSaid() throws {
        var small = DocumentExtractor()
        small.maxBytes = 10
        #expect(throws: ExtractionError.tooLarge(name: "a.txt", bytes: 11, limit: 10)) { try small.extract(name: "a.txt", bytes: Data("hello world".utf8)) }
        var cut = DocumentExtractor()
        cut.maxTextBytes = 7
        let r = try cut.extract(name: "a.md", bytes: Data("héllo wörld".utf8))
        #expect(r.truncated && r.text.text == "héllo ")  // not cut inside ö
        var noTool = DocumentExtractor()
        noTool.pdftotext = "/nonexistent/pdftotext"
        #expect(throws: ExtractionError.pdftotextMissing) { try noTool.extract(name: "a.pdf", bytes: Data("%PDF-1.4".utf8)) }
        #expect("\(ExtractionError.pdftotextMissing)".contains("poppler-utils"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"), "needs Debian's poppler-utils"))
    func aBrokenPDFIsRefusedNotCrashedOn() throws {
        #expect(throws: ExtractionError.self) { try DocumentExtractor().extract(name: "a.pdf", bytes: Data("%PDF-1.4 garbage".utf8)) }
    }
}
