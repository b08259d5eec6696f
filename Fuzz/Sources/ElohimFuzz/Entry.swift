import Foundation

/// The libFuzzer entry point: every input goes to the target named by `FUZZ_TARGET`.
///
/// A target's rule: whatever the bytes, the code under test returns or throws its typed
/// error; it never traps, never hangs, never allocates without bound. A trap is a finding
/// (libFuzzer saves the input as `crash-…`); so is a 5xx from the HTTP API (`requests`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    FuzzTargets.selected.run(bytes)
    return 0
}

/// The targets, by the name `FUZZ_TARGET` gives.
enum FuzzTargets {
    static let all: [String: FuzzTarget] = [
        "frames": FramesTarget(),
        "ops": OpsTarget(),
        "fold": FoldTarget(),
        "noise": NoiseTarget(),
        "pairing": PairingTarget(),
        "scenario": ScenarioTarget(),
        "requests": RequestsTarget.shared,
    ]

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = all[name] else {
            FileHandle.standardError.write(Data("FUZZ_TARGET must be one of: \(all.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()
}

protocol FuzzTarget: Sendable {
    func run(_ bytes: [UInt8])
}

/// Reads structured values off the front of the fuzzer's bytes (zeros once they run out).
struct ByteReader {
    var bytes: ArraySlice<UInt8>
    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    var isEmpty: Bool { bytes.isEmpty }
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    mutating func u32() -> UInt32 { (0..<4).reduce(0) { v, _ in v << 8 | UInt32(byte()) } }
    mutating func u64() -> UInt64 { (0..<8).reduce(0) { v, _ in v << 8 | UInt64(byte()) } }
    mutating func take(_ n: Int) -> [UInt8] {
        let k = min(n, bytes.count)
        defer { bytes = bytes.dropFirst(k) }
        return Array(bytes.prefix(k))
    }
    /// A length-prefixed (one byte, times `unit`) run of bytes.
    mutating func chunk(unit: Int = 1) -> [UInt8] { take(Int(byte()) * unit) }
    mutating func rest() -> [UInt8] { defer { bytes = [] }; return Array(bytes) }
    /// Text of up to `max` bytes, not always valid UTF-8 (decoded lossily, as Swift does).
    mutating func text(max: Int = 255) -> String { String(decoding: take(min(Int(byte()) * 8, max)), as: UTF8.self) }
}
