import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `elohim` executable built next to this test bundle, run as a child process with its
/// output collected, so tests see what a user sees.
final class ElohimProcess: @unchecked Sendable {
    static var executable: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("elohim")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug/elohim")
    }

    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    /// `environment` entries are added to this process's own; standard input is /dev/null
    /// unless `input` is given, so no test waits on a terminal.
    init(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil, directory: String? = nil) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            pipe.fileHandleForWriting.write(input)
            try? pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        stdout.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.out.append(d) }
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.err.append(d) }
        }
        try process.run()
    }

    var standardOutput: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until `predicate` holds for standard output, or fails after `seconds`.
    func waitForOutput(seconds: Double = 60, _ predicate: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = standardOutput
            if predicate(text) { return text }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessTestError.timeout(stdout: standardOutput, stderr: standardError)
    }

    /// Waits for the process to exit and returns its status.
    func waitForExit(seconds: Double = 30) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline {
                process.interrupt()
                throw ProcessTestError.timeout(stdout: standardOutput, stderr: standardError)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // Let the pipes drain.
        try await Task.sleep(for: .milliseconds(100))
        return process.terminationStatus
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

enum ProcessTestError: Error {
    case timeout(stdout: String, stderr: String)
}

/// Runs `elohim` to completion and returns status and output.
func runElohim(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil, directory: String? = nil)
    async throws -> (status: Int32, stdout: String, stderr: String) {
    let p = try ElohimProcess(arguments, environment: environment, input: input, directory: directory)
    let status = try await p.waitForExit()
    return (status, p.standardOutput, p.standardError)
}
