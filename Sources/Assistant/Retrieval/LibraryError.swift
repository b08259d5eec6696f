/// What the document library refuses, said so that a person knows what to do.
public enum LibraryError: Error, Equatable, CustomStringConvertible {
    case otherModel(path: String, stored: String, expected: String)
    case noSuchDocument(id: Int64)
    case emptyQuery
    case queryTooLong(bytes: Int, limit: Int)
    case badTop(Int, limit: Int)
    case tooManyDocuments(limit: Int)
    case badName(String)

    public var description: String {
        switch self {
        case .otherModel(let path, let stored, let expected):
            return "\(path) was indexed with \(stored), not \(expected): its vectors cannot be compared; move it away and add the documents again"
        case .noSuchDocument(let id):
            return "there is no document \(id) in your library: `elohim assistant documents` lists them"
        case .emptyQuery:
            return "the search has no words: ask with at least one word"
        case .queryTooLong(let bytes, let limit):
            return "the search is \(bytes) bytes; at most \(limit) are read: shorten it"
        case .badTop(let top, let limit):
            return "--top \(top): ask for 1 to \(limit) results"
        case .tooManyDocuments(let limit):
            return "your library holds \(limit) documents, its limit: remove some first"
        case .badName(let name):
            return "\(name.debugDescription) is not a usable document name: give a file name of 1 to 255 bytes without / or control characters"
        }
    }
}
