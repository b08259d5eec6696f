import Foundation

/// Unbuffered writes to stdout and stderr: a banner or error must reach a pipe at once,
/// even when the process is killed a moment later.
enum FileHandleOutput {
    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
