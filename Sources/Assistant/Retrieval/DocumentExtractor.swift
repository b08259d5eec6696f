import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Why a document's text could not be had, said so that a person knows what to do.
public enum ExtractionError: Error, Equatable, CustomStringConvertible {
    case unsupportedKind(name: String)
    case tooLarge(name: String, bytes: Int, limit: Int)
    case notUTF8(name: String)
    case noText(name: String)
    case pdftotextMissing
    case pdfUnreadable(name: String, detail: String)
    case docxUnreadable(name: String, detail: String)

    public var description: String {
        switch self {
        case .unsupportedKind(let name):
            return "\(name): the assistant reads \(DocumentKind.extensions) files; convert it to one of those"
        case .tooLarge(let name, let bytes, let limit):
            return "\(name) is \(bytes) bytes; the assistant reads documents up to \(limit) bytes: split it"
        case .notUTF8(let name):
            return "\(name) is not UTF-8 text (a binary file, or another encoding): convert it, e.g. `iconv -t UTF-8`"
        case .noText(let name):
            return "\(name) holds no text to search (a scanned PDF holds only pictures: run OCR on it first)"
        case .pdftotextMissing:
            return "reading PDF needs pdftotext: install Debian's poppler-utils (`make deps` does)"
        case .pdfUnreadable(let name, let detail):
            return "\(name) is not a PDF pdftotext can read (\(detail))"
        case .docxUnreadable(let name, let detail):
            return "\(name) is not a Word document the assistant can read (\(detail)); save it again as .docx, or as text"
        }
    }
}

/// Turns a file's bytes into `DocumentText`.
///
/// Rules it keeps: a document is at most `maxBytes` (20 MiB) and its text at most `maxTextBytes`
/// (8 MiB; the rest is dropped and `truncated` says so); PDF is read by Debian's `pdftotext`
/// (a child process with a time limit, the file handed over in a private temporary file);
/// a .docx's `word/document.xml` is read with a size limit, so a ZIP bomb is refused, not inflated.
public struct DocumentExtractor: Sendable {
    public var maxBytes = 20 << 20
    public var maxTextBytes = 8 << 20
    public var pdftotext = "/usr/bin/pdftotext"
    public var timeLimit: TimeInterval = 60

    public init() {}

    public struct Result: Sendable {
        public let kind: DocumentKind
        public let text: DocumentText
        public let truncated: Bool
    }

    public func extract(name: String, bytes: Data) throws(ExtractionError) -> Result {
        guard let kind = DocumentKind(fileName: name) else { throw .unsupportedKind(name: name) }
        guard bytes.count <= maxBytes else { throw .tooLarge(name: name, bytes: bytes.count, limit: maxBytes) }
        var text: DocumentText
        switch kind {
        case .text, .markdown:
            guard !bytes.contains(0), let s = String(data: bytes, encoding: .utf8) else { throw .notUTF8(name: name) }
            text = DocumentText.plain(s, markdown: kind == .markdown)
        case .pdf:
            text = try pdf(name: name, bytes: bytes)
        case .docx:
            text = try docx(name: name, bytes: bytes)
        }
        var truncated = false
        if text.text.utf8.count > maxTextBytes {
            var cut = maxTextBytes
            let utf8 = Array(text.text.utf8)
            while cut > 0, utf8[cut] & 0xC0 == 0x80 { cut -= 1 }  // not inside a character
            text = DocumentText(text: String(decoding: utf8[..<cut], as: UTF8.self),
                                pageStarts: text.pageStarts.filter { $0 < cut }, headings: text.headings.filter { $0.offset < cut })
            truncated = true
        }
        guard text.text.contains(where: { $0.isLetter || $0.isNumber }) else { throw .noText(name: name) }
        return Result(kind: kind, text: text, truncated: truncated)
    }

    /// `pdftotext -enc UTF-8 FILE -`: pages come separated by form feeds, which give the places.
    func pdf(name: String, bytes: Data) throws(ExtractionError) -> DocumentText {
        guard FileManager.default.isExecutableFile(atPath: pdftotext) else { throw .pdftotextMissing }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-pdf-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch { throw .pdfUnreadable(name: name, detail: "no temporary folder: \(error.localizedDescription)") }
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("in.pdf")
        do { try bytes.write(to: input) } catch { throw .pdfUnreadable(name: name, detail: "\(error.localizedDescription)") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: pdftotext)
        process.arguments = ["-enc", "UTF-8", "-q", input.path, "-"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw .pdftotextMissing }
        // Read with a cap on another thread while a timer bounds the run.
        let limit = maxTextBytes * 2
        let reader = BoundedReader(handle: out.fileHandleForReading, limit: limit)
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { reader.readAll(); finished.signal() }
        if finished.wait(timeout: .now() + timeLimit) == .timedOut || reader.overflowed {
            // SIGKILL: a child of Foundation's Process starts with the spawning thread's signal mask,
            // in which SIGTERM may be blocked (the node's lifecycle handles it), so it could ignore it.
            kill(process.processIdentifier, SIGKILL)
            _ = finished.wait(timeout: .now() + 5)
            process.waitUntilExit()
            throw .pdfUnreadable(name: name, detail: reader.overflowed ? "its text passes \(limit) bytes" : "pdftotext took more than \(Int(timeLimit)) s")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile().prefix(300), as: UTF8.self)
            throw .pdfUnreadable(name: name, detail: message.isEmpty ? "pdftotext exited with \(process.terminationStatus)" : message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let text = String(decoding: reader.data, as: UTF8.self)
        var pageStarts = [0]
        for (i, b) in text.utf8.enumerated() where b == 0x0C { pageStarts.append(i + 1) }
        if pageStarts.count > 1, pageStarts.last == text.utf8.count { pageStarts.removeLast() }  // the last page's own form feed
        return DocumentText(text: text, pageStarts: pageStarts)
    }

    /// The paragraphs of `word/document.xml` (tables' cells are paragraphs too), one a line.
    func docx(name: String, bytes: Data) throws(ExtractionError) -> DocumentText {
        let archive: Archive
        do { archive = try Archive(data: bytes, accessMode: .read) } catch {
            throw .docxUnreadable(name: name, detail: "not a ZIP archive")
        }
        guard let entry = archive["word/document.xml"] else { throw .docxUnreadable(name: name, detail: "it has no word/document.xml") }
        let limit = maxTextBytes * 4
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw .docxUnreadable(name: name, detail: "word/document.xml would be \(entry.uncompressedSize) bytes; the limit is \(limit)")
        }
        var xml = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { part in
                // The size in the directory can lie: count what really comes out.
                guard xml.count + part.count <= limit else { throw CocoaError(.fileReadTooLarge) }
                xml.append(part)
            }
        } catch {
            throw .docxUnreadable(name: name, detail: xml.count >= limit ? "word/document.xml inflates past \(limit) bytes" : "word/document.xml cannot be read")
        }
        let collector = WordXMLText()
        let parser = XMLParser(data: xml)
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        guard parser.parse() else {
            throw .docxUnreadable(name: name, detail: "word/document.xml is not well-formed XML")
        }
        return DocumentText(text: collector.text)
    }
}

/// Reads a pipe to its end, keeping at most `limit` bytes (and saying when there was more).
final class BoundedReader: @unchecked Sendable {
    let handle: FileHandle
    let limit: Int
    private(set) var data = Data()
    private(set) var overflowed = false

    init(handle: FileHandle, limit: Int) { self.handle = handle; self.limit = limit }

    func readAll() {
        while true {
            let part = handle.availableData
            if part.isEmpty { return }
            if data.count + part.count > limit { overflowed = true; return }
            data.append(part)
        }
    }
}

/// Collects the text of a WordprocessingML body: `w:t` runs, tabs, breaks, a newline per paragraph.
final class WordXMLText: NSObject, XMLParserDelegate {
    private(set) var text = ""
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        switch name {
        case "w:t": inText = true
        case "w:tab": text += "\t"
        case "w:br", "w:cr": text += "\n"
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "w:t": inText = false
        case "w:p": text += "\n"
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { text += string }
    }
}
