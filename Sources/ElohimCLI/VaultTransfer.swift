import Foundation
import HTTPAPI
import Services

/// Moving one file into or out of a team's vault, sealed and opened here (vault format v2
/// written, v1 and v2 read): what `elohim vault put/get` do, shared with
/// `elohim data query --vault-file/--put-result`.
enum VaultTransfer {
    /// Seals the file at `path` chunk by chunk, stores the chunks, then the sealed entry naming
    /// them as `name`. Progress goes to standard error.
    static func put(path: String, name: String, session: VaultSession) async throws -> (entry: VaultFormat.Entry, stored: VaultFileView, chunks: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("cannot read \(path): check the path and its permissions") }
        defer { try? handle.close() }
        let total = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        let fileID = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let progress = Progress(total: total, label: "sealing and sending")
        var ids: [String] = []
        var sent: UInt64 = 0
        // Read one chunk ahead: a chunk's associated data says whether it is the last.
        var current = try handle.read(upToCount: VaultFormat.chunkSize).map([UInt8].init) ?? []
        while !current.isEmpty {
            let next = try handle.read(upToCount: VaultFormat.chunkSize).map([UInt8].init) ?? []
            let sealed = try VaultFormat.sealChunk(current, file: fileID, index: UInt32(ids.count), last: next.isEmpty, keys: session.keys)
            let id = VaultFormat.address(sealed).description
            struct ChunkAnswer: Decodable { let id: String }
            do { _ = try await session.client.putBytes(session.base + "/chunks/" + id, sealed, as: ChunkAnswer.self) } catch { throw fail(error) }
            ids.append(id)
            sent += UInt64(current.count)
            progress.show(sent)
            current = next
        }
        progress.finish()
        let entry = VaultFormat.Entry(name: name, size: sent, file: fileID.map { String(format: "%02x", $0) }.joined(), chunks: ids.count)
        struct Body: Encodable { let name: String; let size: UInt64; let chunks: [String]; let chunkSize: UInt32 }
        let body = Body(name: try VaultFormat.sealEntry(entry, keys: session.keys), size: UInt64(ids.count) * UInt64(VaultFormat.chunkSize),
                        chunks: ids, chunkSize: UInt32(VaultFormat.chunkSize))
        let stored: VaultFileView
        do { stored = try await session.client.post(session.base + "/files", body) } catch { throw fail(error) }
        return (entry, stored, ids.count)
    }

    /// Fetches the file named `name` (or its blob ID), opens it and writes it to
    /// `output(entry, blob)`: through a `.part` file, so a failure leaves nothing; `-` is
    /// standard output. Never overwrites a folder; a file only with `force`. Progress goes to
    /// standard error.
    static func get(name: String, output: (VaultFormat.Entry, _ blob: String) -> String, force: Bool, session: VaultSession)
        async throws -> (path: String, written: UInt64) {
        let (file, entry) = try await session.file(name)
        let out = output(entry, file.blob)
        let toStandardOutput = out == "-"
        if !toStandardOutput {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
                guard !isDirectory.boolValue else { throw fail("\(out) is a folder: give -o a file path to write to") }
                guard force else { throw fail("\(out) exists: pass --force to overwrite it, or -o to write elsewhere") }
            }
        }
        guard let fileID = bytes(hex: entry.file), entry.chunks == file.chunks.count else {
            throw fail("the entry of \(name) does not match its chunks: the index was altered")
        }
        let partial = out + ".part"
        let handle: FileHandle
        if toStandardOutput {
            handle = FileHandle.standardOutput
        } else {
            guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let h = FileHandle(forWritingAtPath: partial) else { throw fail("cannot write \(partial)") }
            handle = h
        }
        let progress = Progress(total: entry.size, label: "fetching and opening")
        var written: UInt64 = 0
        do {
            for (i, id) in file.chunks.enumerated() {
                let sealed: [UInt8]
                do { sealed = try await session.client.getBytes(session.base + "/chunks/" + id) } catch { throw fail(error) }
                guard VaultFormat.address(sealed).description == id else { throw fail("chunk \(i) came back altered") }
                let plain = try VaultFormat.openChunk(sealed, file: fileID, index: UInt32(i), last: i == file.chunks.count - 1,
                                                      keys: session.keys, format: entry.format)
                try handle.write(contentsOf: plain)
                written += UInt64(plain.count)
                progress.show(written)
            }
            guard written == entry.size else { throw fail("\(name) opened to \(written) bytes, not the \(entry.size) stored: not kept") }
            if !toStandardOutput {
                try handle.close()
                if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
                try FileManager.default.moveItem(atPath: partial, toPath: out)
            }
        } catch {
            if !toStandardOutput { try? FileManager.default.removeItem(atPath: partial) }
            if let e = error as? VaultError { throw fail(e) }
            throw error
        }
        progress.finish()
        return (out, written)
    }

    /// 16 bytes from 32 hex digits.
    static func bytes(hex: String) -> [UInt8]? {
        guard hex.count == 32 else { return nil }
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            guard let b = UInt8(hex[i..<j], radix: 16) else { return nil }
            out.append(b)
            i = j
        }
        return out
    }
}
