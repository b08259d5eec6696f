import Foundation

/// Turns what a person typed into an FTS5 `MATCH` expression that cannot be a syntax error.
///
/// FTS5 has its own query language (`AND`, `NEAR`, `*`, quotes, column filters); a question such as
/// `what's "C-14"?` would be an error or mean something else. So the words are taken out (letters and
/// digits), each is quoted, and they are joined with OR: bm25 then ranks chunks holding more of the
/// rarer words first. At most `maxTerms` distinct words are kept, in the order typed.
public enum KeywordQuery {
    public static let maxTerms = 32

    /// The expression, or nil when the text holds no word.
    public static func match(for text: String) -> String? {
        var terms: [String] = []
        var seen = Set<String>()
        var current = ""
        func flush() {
            if !current.isEmpty, terms.count < maxTerms, seen.insert(current).inserted { terms.append(current) }
            current = ""
        }
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber { current.append(ch) } else { flush() }
        }
        flush()
        guard !terms.isEmpty else { return nil }
        return terms.map { "\"\($0)\"" }.joined(separator: " OR ")
    }
}
