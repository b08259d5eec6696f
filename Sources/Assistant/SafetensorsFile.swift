import Foundation

/// A `.safetensors` file: 8 bytes of little-endian header length, that many bytes of JSON naming
/// each tensor's `dtype`, `shape` and `data_offsets` (begin and end, relative to the end of the
/// header), then the tensors' bytes, little-endian.
///
/// Rules it keeps:
/// - The whole header is checked when the file is opened: every tensor's byte range must lie
///   inside the file and be exactly `product(shape) × size(dtype)` long; a file cut short by an
///   interrupted download is `truncated`, not a crash later.
/// - Only `F32` tensors are read (the model's weights); other dtypes are listed (MiniLM's file
///   carries an `I64` `position_ids`) but asking for one as floats is an error.
/// - A tensor is read with the shape the caller expects; a different one is `wrongShape`.
/// - The file is memory-mapped: opening costs no copy of the 90 MB of weights.
public struct SafetensorsFile: Sendable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the file (header already added).
        public let bytes: Range<Int>
    }

    public let path: String
    /// Tensors by name; `names` lists them sorted.
    public let entries: [String: Entry]
    private let data: Data

    public var names: [String] { entries.keys.sorted() }

    /// Bytes per element of every dtype the format defines.
    static let elementSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    /// Opens and checks `path`.
    public init(path: String) throws(SafetensorsError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw .fileMissing(path: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard data.count >= 8 else { throw .truncated(path: path, detail: "\(data.count) bytes, shorter than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw .truncated(path: path, detail: "the header says \(headerLength) bytes of JSON but the file has \(data.count - 8) after the length")
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)) } catch {
            throw .badHeader(path: path, detail: "the header is not JSON")
        }
        guard let object = json as? [String: Any] else { throw .badHeader(path: path, detail: "the header is not a JSON object") }

        var entries: [String: Entry] = [:]
        for name in object.keys.sorted() where name != "__metadata__" {
            guard let fields = object[name] as? [String: Any],
                  let dtype = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int],
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw .badHeader(path: path, detail: "tensor \(name) lacks dtype, shape or data_offsets") }
            guard let size = Self.elementSizes[dtype] else { throw .unknownDtype(path: path, tensor: name, dtype: dtype) }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw .badHeader(path: path, detail: "tensor \(name) has a negative size or offsets out of order")
            }
            let count = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == count * size else {
                throw .badHeader(path: path, detail: "tensor \(name) spans \(offsets[1] - offsets[0]) bytes, its shape \(shape) needs \(count * size)")
            }
            guard dataStart + offsets[1] <= data.count else {
                throw .truncated(path: path, detail: "tensor \(name) ends at byte \(dataStart + offsets[1]) of a \(data.count)-byte file")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, bytes: (dataStart + offsets[0])..<(dataStart + offsets[1]))
        }
        self.entries = entries
        self.data = data
    }

    /// The F32 tensor `name`, row-major, when its shape is `shape`.
    public func floats(_ name: String, shape: [Int]) throws(SafetensorsError) -> [Float] {
        guard let entry = entries[name] else { throw .tensorMissing(path: path, tensor: name) }
        guard entry.dtype == "F32" else { throw .notFloat32(path: path, tensor: name, dtype: entry.dtype) }
        guard entry.shape == shape else { throw .wrongShape(path: path, tensor: name, expected: shape, found: entry.shape) }
        let count = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[entry.bytes]))
            }
        }
        #if _endian(big)
        for i in out.indices { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
        #endif
        return out
    }
}

/// What can be wrong with a weights file, said so that a person knows what to do.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case fileMissing(path: String)
    case unreadable(path: String, reason: String)
    case truncated(path: String, detail: String)
    case badHeader(path: String, detail: String)
    case unknownDtype(path: String, tensor: String, dtype: String)
    case notFloat32(path: String, tensor: String, dtype: String)
    case tensorMissing(path: String, tensor: String)
    case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])

    static let reinstall = "reinstall the model with `make venv` (or point ELOHIM_MINILM_DIR / --model-dir at a good copy)"

    public var description: String {
        switch self {
        case .fileMissing(let path):
            return "weights file \(path) does not exist; \(Self.reinstall)"
        case .unreadable(let path, let reason):
            return "cannot read weights file \(path): \(reason)"
        case .truncated(let path, let detail):
            return "weights file \(path) is truncated (\(detail)); \(Self.reinstall)"
        case .badHeader(let path, let detail):
            return "weights file \(path) is not a valid safetensors file: \(detail); \(Self.reinstall)"
        case .unknownDtype(let path, let tensor, let dtype):
            return "weights file \(path): tensor \(tensor) has unknown dtype \(dtype); \(Self.reinstall)"
        case .notFloat32(let path, let tensor, let dtype):
            return "weights file \(path): tensor \(tensor) is \(dtype), the encoder needs F32; use the float32 all-MiniLM-L6-v2 weights"
        case .tensorMissing(let path, let tensor):
            return "weights file \(path) has no tensor \(tensor): it is not all-MiniLM-L6-v2; \(Self.reinstall)"
        case .wrongShape(let path, let tensor, let expected, let found):
            return "weights file \(path): tensor \(tensor) has shape \(found), all-MiniLM-L6-v2 needs \(expected): it is a different model; \(Self.reinstall)"
        }
    }
}
