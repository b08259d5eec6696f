import Foundation

/// Where the DuckDB program and its Excel extension are. DuckDB is not in Debian: `make venv`
/// installs PyPI's `duckdb-cli` and `duckdb-extension-excel` at one pinned version into the
/// repository's `.venv`; the extension is loaded by path (`INSTALL` cannot fetch offline).
///
/// Search order: `$ELOHIM_DUCKDB` (the binary) and `$ELOHIM_DUCKDB_EXCEL` (the extension file);
/// else a `.venv` in `$ELOHIM_VENV`, the current folder or any folder above it, any folder above
/// the running executable, or the checkout this module was built from.
public struct DuckDBInstall: Sendable, Equatable {
    /// The DuckDB version the CLI and the extension are pinned at (scripts/requirements-data.txt).
    public static let pinnedVersion = "1.5.5"

    public let binary: String
    /// nil when not installed: then .xlsx datasets are refused with `excelExtensionMissing`.
    public let excelExtension: String?
    /// Where the extension was looked for, for the error when it is missing.
    public let excelSearched: [String]

    public init(binary: String, excelExtension: String?, excelSearched: [String] = []) {
        self.binary = binary
        self.excelExtension = excelExtension
        self.excelSearched = excelSearched
    }

    /// Finds the installation, or says where it looked and how to install it.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              currentDirectory: String = FileManager.default.currentDirectoryPath,
                              executable: String? = Bundle.main.executablePath) throws -> DuckDBInstall {
        let fm = FileManager.default
        var venvs: [String] = []
        if let v = environment["ELOHIM_VENV"] { venvs.append(v) }
        for start in [currentDirectory, executable.map { ($0 as NSString).deletingLastPathComponent }, checkout].compactMap({ $0 }) {
            var dir = (start as NSString).standardizingPath
            while true {
                venvs.append((dir as NSString).appendingPathComponent(".venv"))
                let parent = (dir as NSString).deletingLastPathComponent
                if parent == dir || parent.isEmpty { break }
                dir = parent
            }
        }
        var seen = Set<String>()
        venvs = venvs.filter { seen.insert($0).inserted }
        let sitePackages = venvs.flatMap { venv -> [String] in
            let lib = (venv as NSString).appendingPathComponent("lib")
            let pythons = ((try? fm.contentsOfDirectory(atPath: lib)) ?? []).filter { $0.hasPrefix("python3") }.sorted()
            return pythons.map { "\(lib)/\($0)/site-packages" }
        }

        var searched: [String] = []
        var binary: String?
        if let b = environment["ELOHIM_DUCKDB"] {
            searched.append(b)
            if fm.isExecutableFile(atPath: b) { binary = b }
        } else {
            for site in sitePackages {
                let candidate = site + "/duckdb_cli/duckdb"
                searched.append(candidate)
                if fm.isExecutableFile(atPath: candidate) { binary = candidate; break }
            }
            if sitePackages.isEmpty { searched.append(contentsOf: venvs.prefix(3).map { $0 + "/lib/python3*/site-packages/duckdb_cli/duckdb" }) }
        }
        guard let binary else { throw DataEngineError.duckDBMissing(searched: searched) }

        var excelSearched: [String] = []
        var excel: String?
        if let e = environment["ELOHIM_DUCKDB_EXCEL"] {
            excelSearched.append(e)
            if fm.isReadableFile(atPath: e) { excel = e }
        } else {
            // Beside the binary first, so the two come from the same install.
            let own = ((binary as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            for site in [own] + sitePackages {
                let candidate = "\(site)/duckdb_extension_excel/extensions/v\(pinnedVersion)/excel.duckdb_extension"
                if excelSearched.contains(candidate) { continue }
                excelSearched.append(candidate)
                if fm.isReadableFile(atPath: candidate) { excel = candidate; break }
            }
        }
        return DuckDBInstall(binary: binary, excelExtension: excel, excelSearched: excelSearched)
    }

    /// The checkout this module was compiled in (a development build finds its .venv from anywhere).
    private static var checkout: String? {
        let file = "\(#filePath)"
        guard file.hasPrefix("/") else { return nil }
        var url = URL(fileURLWithPath: file)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // SQL, DataEngine, Sources, the checkout
        return url.path
    }
}
