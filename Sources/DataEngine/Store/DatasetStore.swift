import Foundation
import Synchronization

/// The datasets people upload to a node, a folder per account under the node's data folder
/// (`<data>/data-engine/accounts/<account>/datasets/<name>`), and each account's query history.
/// An account sees and queries only its own datasets.
///
/// Limits: a dataset is at most `maxDatasetBytes` (256 MiB), an account holds at most
/// `maxDatasets` (100) datasets and `maxAccountBytes` (1 GiB) in all.
public final class DatasetStore: Sendable {
    public struct Limits: Sendable {
        public var maxDatasetBytes = 256 << 20
        public var maxAccountBytes = 1 << 30
        public var maxDatasets = 100
        public init() {}
    }

    /// A stored dataset as the API lists it.
    public struct Info: Sendable, Equatable, Codable {
        public let name: String
        public let table: String
        public let format: DatasetFormat
        public let size: Int
    }

    public let root: String
    public let limits: Limits
    private let lock = Mutex<Void>(())

    /// A store in `root` (made, mode 0700, when it is first written to).
    public init(root: String, limits: Limits = Limits()) {
        self.root = root
        self.limits = limits
    }

    /// The engine's scratch folder (each query's spill files go under it).
    public var scratch: String { (root as NSString).appendingPathComponent("scratch") }

    /// Where the engine keeps the sniffed readers of the datasets' CSV and TSV files.
    public var readerCache: String { (root as NSString).appendingPathComponent("readers") }

    /// An account's folder; `account` is an account ID or `operator`.
    public func accountFolder(_ account: String) throws -> String {
        guard !account.isEmpty, account.count <= 128, account.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw DataEngineError.badDatasetName("the account '\(account)' cannot name a folder")
        }
        return "\(root)/accounts/\(account)"
    }

    func datasetsFolder(_ account: String) throws -> String { try accountFolder(account) + "/datasets" }

    /// Checks a dataset name: 1–100 characters, letters, digits, `_`, `-` and `.`, not starting
    /// with a dot, ending in a known extension.
    public static func validate(name: String) throws {
        guard (1...100).contains(name.count), name.first != ".", !name.contains(".."),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else {
            throw DataEngineError.badDatasetName("'\(name.prefix(100))' cannot name a dataset: use 1 to 100 letters, digits, '_', '-' and '.', not starting with a dot, and end it with the format (sales.csv)")
        }
        guard DatasetFormat(fileName: name) != nil else { throw DataEngineError.unsupportedFormat(name) }
    }

    /// The account's datasets, by name.
    public func list(account: String) throws -> [Info] {
        let folder = try datasetsFolder(account)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.compactMap { name in
            guard let format = DatasetFormat(fileName: name),
                  let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name))?[.size] as? Int else { return nil }
            return Info(name: name, table: Dataset.tableName(forFile: name), format: format, size: size)
        }
    }

    /// The dataset `name` of the account, ready for a query.
    public func dataset(account: String, name: String) throws -> Dataset {
        try Self.validate(name: name)
        let path = try datasetsFolder(account) + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw DataEngineError.cannotRead("dataset \(name)") }
        return try Dataset(path: path, label: name)
    }

    /// Every dataset of the account, each a table of its queries.
    public func datasets(account: String) throws -> [Dataset] {
        try list(account: account).map { try dataset(account: account, name: $0.name) }
    }

    /// A new, empty file to stream an upload into (in the account's folder, hidden from `list`).
    public func beginUpload(account: String, name: String) throws -> String {
        try Self.validate(name: name)
        let folder = try datasetsFolder(account)
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DataEngineError.cannotWrite(folder, error.localizedDescription)
        }
        let existing = try list(account: account)
        if existing.count >= limits.maxDatasets && !existing.contains(where: { $0.name == name }) {
            throw DataEngineError.tooLarge(what: "this account's list of datasets", limit: "\(limits.maxDatasets) datasets; delete one first")
        }
        let table = Dataset.tableName(forFile: name)
        if let clash = existing.first(where: { $0.name != name && $0.table.lowercased() == table.lowercased() }) {
            throw DataEngineError.duplicateTable(table, clash.name, name)
        }
        let path = "\(folder)/.upload-\(UUID().uuidString)-\(name)"
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw DataEngineError.cannotWrite(path, "cannot create the upload file")
        }
        return path
    }

    /// Makes an upload the dataset `name` (replacing one of that name), after checking the
    /// account's total size. The upload file is removed either way.
    public func commit(upload: String, account: String, name: String) throws -> Info {
        try lock.withLock { _ in
            let folder = try datasetsFolder(account)
            let fm = FileManager.default
            defer { try? fm.removeItem(atPath: upload) }
            let size = (try? fm.attributesOfItem(atPath: upload))?[.size] as? Int ?? 0
            let others = try list(account: account).filter { $0.name != name }.reduce(0) { $0 + $1.size }
            guard others + size <= limits.maxAccountBytes else {
                throw DataEngineError.tooLarge(what: "this account's datasets together (\(others + size) bytes)", limit: "\(limits.maxAccountBytes) bytes; delete some first")
            }
            let target = folder + "/" + name
            do {
                if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
                try fm.moveItem(atPath: upload, toPath: target)
            } catch { throw DataEngineError.cannotWrite(target, error.localizedDescription) }
            guard let format = DatasetFormat(fileName: name) else { throw DataEngineError.unsupportedFormat(name) }
            return Info(name: name, table: Dataset.tableName(forFile: name), format: format, size: size)
        }
    }

    /// Removes the dataset; false when there was none.
    public func delete(account: String, name: String) throws -> Bool {
        try Self.validate(name: name)
        let path = try datasetsFolder(account) + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return false }
        do { try FileManager.default.removeItem(atPath: path) } catch { throw DataEngineError.cannotWrite(path, error.localizedDescription) }
        return true
    }
}
