import Foundation

/// The kinds of document the assistant reads, by file name.
public enum DocumentKind: String, Sendable, Codable, CaseIterable {
    case text, markdown, pdf, docx

    /// The kind a file name's extension names, or nil when the assistant cannot read it.
    public init?(fileName: String) {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "txt", "text", "log": self = .text
        case "md", "markdown": self = .markdown
        case "pdf": self = .pdf
        case "docx": self = .docx
        default: return nil
        }
    }

    public static let extensions = ".txt, .text, .log, .md, .markdown, .pdf, .docx"
}

/// A document's text and what is known of its layout: where its pages start (PDF) and its headings
/// (Markdown), as UTF-8 byte offsets into `text`.
public struct DocumentText: Sendable, Equatable {
    public let text: String
    public let pageStarts: [Int]
    public let headings: [Heading]

    public struct Heading: Sendable, Equatable {
        public let offset: Int
        public let title: String
    }

    /// Where each line starts (byte 0, then after every newline): places are found by bisection.
    let lineStarts: [Int]

    public init(text: String, pageStarts: [Int] = [], headings: [Heading] = []) {
        self.text = text
        self.pageStarts = pageStarts
        self.headings = headings
        var starts = [0]
        for (i, b) in text.utf8.enumerated() where b == 0x0A { starts.append(i + 1) }
        lineStarts = starts
    }

    /// Where bytes `start..<end` stand, said for a person: "page 2", "pages 2–3", or "lines 4–19",
    /// after the nearest heading above when there is one ("Pump care, lines 4–19").
    public func place(start: Int, end: Int) -> String {
        let last = max(start, end - 1)
        var place: String
        if !pageStarts.isEmpty {
            let a = Self.index(of: start, in: pageStarts) + 1, b = Self.index(of: last, in: pageStarts) + 1
            place = a == b ? "page \(a)" : "pages \(a)–\(b)"
        } else {
            let a = line(of: start), b = line(of: last)
            place = a == b ? "line \(a)" : "lines \(a)–\(b)"
        }
        if let heading = headings.last(where: { $0.offset <= start }) { place = "\(heading.title), " + place }
        return place
    }

    /// The 1-based line holding byte `offset`.
    func line(of offset: Int) -> Int { Self.index(of: offset, in: lineStarts) + 1 }

    /// The index of the last start at or before `offset` (0 when before the first).
    static func index(of offset: Int, in starts: [Int]) -> Int {
        var lo = 0, hi = starts.count - 1, found = 0
        while lo <= hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= offset { found = mid; lo = mid + 1 } else { hi = mid - 1 }
        }
        return found
    }

    /// Plain text or Markdown. Markdown keeps its words (the markup costs little and FTS ignores
    /// it) and gives its ATX headings (`# Title`) as places.
    static func plain(_ text: String, markdown: Bool) -> DocumentText {
        guard markdown else { return DocumentText(text: text) }
        var headings: [Heading] = []
        var offset = 0
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle() }
            if !inFence, line.hasPrefix("#") {
                let title = line.drop(while: { $0 == "#" })
                if title.first == " " {
                    let clean = title.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "#")).trimmingCharacters(in: .whitespaces)
                    if !clean.isEmpty { headings.append(Heading(offset: offset, title: String(clean.prefix(120)))) }
                }
            }
            offset += line.utf8.count + 1
        }
        return DocumentText(text: text, headings: headings)
    }
}
