import ArgumentParser
import Foundation
import MeshNode
import Services
#if canImport(Glibc)
import Glibc
#endif

/// `elohim panic`: destroys a node's data folder, keys first. When the folder's node runs, it
/// asks that node (POST /api/v1/panic, with the operator token) so the node itself stops after
/// the wipe; when none runs, it takes the folder's lock (so none can start meanwhile) and wipes
/// the folder itself.
struct PanicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panic",
        abstract: "Destroy this node's keys, then all its data (for a device about to be lost or taken).",
        discussion: """
        What it destroys, in this order:
          1. the key files: identity.key (the node's identity), jwt-signing.key (signs logins), \
        api-token (the operator token), and any other *.key in the folder: each overwritten with \
        random bytes, synced to disk, unlinked;
          2. the accounts' sealed person keys in elohim.sqlite, zeroed in one transaction (best \
        effort); "keys gone" is reported here;
          3. elohim.sqlite and its -wal and -shm, data-engine/, every other file and folder, then \
        the data folder itself: unlinked, not overwritten, so that it is fast.

        When the folder's node runs, the node does the wipe, answers once its keys are gone, and \
        then exits (--api and --token only matter then). When no node runs, this command takes \
        the folder's lock and does it. It asks for the word WIPE on the \
        terminal unless --yes is given.

        What it cannot promise: on flash storage (SSDs, SD cards, phones) wear levelling writes an \
        overwrite to a new block and may keep the old one, and filesystem journals, copy-on-write \
        filesystems (btrfs, ZFS) and snapshots can keep old copies too; the unlinked data files are \
        not overwritten at all. Only full-disk encryption whose key is destroyed guarantees that \
        nothing can be read back. Backups made with `elohim backup create` and copies on peers are \
        not touched.

        Examples:
          elohim panic
          elohim panic --data-dir /srv/elohim --yes
        """
    )

    @OptionGroup var api: APIOptions

    @Flag(help: "Do not ask for the word WIPE (for scripts).")
    var yes = false

    /// The answer of POST /api/v1/panic.
    struct Accepted: Decodable {
        let keysGoneMs: Double
        let shredded: [String]
        let sealedKeysZeroed: Int
        let problems: [String]
    }

    func run() async throws {
        let (given, source) = api.folder
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw fail("there is no data folder at \(path) (\(source)): nothing to wipe; check --data-dir")
        }
        if !yes { try confirm(path) }
        let start = ContinuousClock.now
        // Whether a node runs on the folder is whether its lock is free; holding it keeps one from starting mid-wipe.
        let lock: DataFolder
        do { lock = try DataFolder(path: path) } catch {
            guard case let .inUse(_, pid) = error else { throw fail(error) }
            try await askTheNode(path, pid: pid, start: start)
            return
        }
        let report: PanicWipe.Report
        do { report = try withExtendedLifetime(lock) { () throws(PanicError) in try PanicWipe(folder: path).run() } } catch {
            throw fail(error)
        }
        FileHandleOutput.standardOutput("""
        keys gone after \(report.keysGoneMs) ms (shredded: \(report.shredded.joined(separator: ", ")); \
        sealed person keys zeroed: \(report.sealedKeysZeroed) account(s))
        all gone after \(report.allGoneMs.map { "\($0) ms" } ?? "(not all: see below)"): \(path)

        """)
        try finish(problems: report.problems, gone: report.allGoneMs != nil, path: path)
    }

    /// Asks for the word on the terminal; anything else leaves the folder as it was.
    private func confirm(_ path: String) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw fail("there is no terminal to ask for the word WIPE: pass --yes to wipe \(path) without asking")
        }
        FileHandleOutput.standardError("This destroys the node's keys and every file in \(path); it cannot be undone.\nType WIPE to go on: ")
        guard readLine(strippingNewline: true) == PanicWipe.confirmWord else {
            throw fail("not the word WIPE: nothing was touched")
        }
    }

    /// The node of the folder wipes itself: POST /api/v1/panic, then wait for the folder to go and the node to exit.
    private func askTheNode(_ path: String, pid: Int32?, start: ContinuousClock.Instant) async throws {
        let client = try api.client()
        let accepted: Accepted
        do { accepted = try await client.post("/api/v1/panic", ["confirm": PanicWipe.confirmWord], as: Accepted.self) } catch {
            throw fail(error)
        }
        let keysGone = PanicWipe.milliseconds(since: start)
        FileHandleOutput.standardOutput("""
        keys gone after \(keysGone) ms (\(accepted.keysGoneMs) ms in the node; shredded: \(accepted.shredded.joined(separator: ", ")); \
        sealed person keys zeroed: \(accepted.sealedKeysZeroed) account(s))

        """)
        // The node removes the rest and exits; 60 s is far more than unlinking takes.
        let deadline = ContinuousClock.now + .seconds(60)
        while FileManager.default.fileExists(atPath: path), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let gone = !FileManager.default.fileExists(atPath: path)
        let allGone = PanicWipe.milliseconds(since: start)
        var stopped = pid == nil
        if let pid {
            let stopBy = ContinuousClock.now + .seconds(10)
            while kill(pid, 0) == 0, ContinuousClock.now < stopBy { try await Task.sleep(for: .milliseconds(20)) }
            stopped = kill(pid, 0) != 0
        }
        FileHandleOutput.standardOutput("all gone after \(gone ? "\(allGone) ms" : "(not all: see below)"): \(path); "
                                        + "node \(pid.map(String.init) ?? "?") \(stopped ? "stopped" : "still running")\n")
        var problems = accepted.problems
        if !stopped, let pid { problems.append("the node (pid \(pid)) has not stopped after 10 s: stop it with kill \(pid)") }
        try finish(problems: problems, gone: gone, path: path)
    }

    private func finish(problems: [String], gone: Bool, path: String) throws {
        for problem in problems { FileHandleOutput.standardError("problem: \(problem)\n") }
        if !gone { throw fail("\(path) is not gone: remove what is left by hand (rm -rf \(path))") }
        if !problems.isEmpty { throw ExitCode.failure }
    }
}
