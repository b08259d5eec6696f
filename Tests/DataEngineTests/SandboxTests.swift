import Foundation
import Testing
@testable import DataEngine

/// The attacks: a query reads only the datasets it was given, writes nothing outside the
/// engine's folder, loads no extension, cannot unlock the configuration, cannot reach the
/// DuckDB shell's dot-commands, and cannot escape its statement.
@Suite struct SandboxTests {
    let folder = TempFolder()
    let secret: String
    let given: Dataset

    init() throws {
        secret = folder.write("secret.csv", "password\nhunter2\n")
        given = try Dataset(path: folder.write("given.csv", "a\n1\n"))
    }

    func refused(_ sql: String, _ check: (String) -> Bool = { _ in true }) async throws {
        let e = try Support.engine(folder)
        do {
            let r = try await e.query(sql, datasets: [given])
            Issue.record("ran: \(sql) → \(r.rows)")
        } catch let error as DataEngineError {
            let text = "\(error)"
            #expect(!text.contains("hunter2"), "leaked the secret: \(text)")
            #expect(check(text), "\(sql): \(text)")
        }
    }

    @Test func readingAnyOtherFileIsRefused() async throws {
        for reader in ["read_csv", "read_csv_auto", "read_text", "read_blob", "read_json", "read_parquet", "read_xlsx"] {
            try await refused("select * from \(reader)('\(secret)')")
            try await refused("select * from \(reader)('/etc/passwd')")
        }
        try await refused("select * from '\(secret)'") { $0.contains("disabled") || $0.contains("Permission") || $0.contains("does not exist") }
        try await refused("select * from glob('\(folder.path)/*')") { $0.contains("disabled") }
        try await refused("select * from read_csv('\(folder.path)/given.csv/../secret.csv')")
        try await refused("select * from read_csv('\(folder.path)/*.csv')")
        try await refused("select getenv('HOME')") { $0.contains("disabled") }
        // The given file itself is readable, by its table and by its path.
        let e = try Support.engine(folder)
        #expect(try await e.query("select * from read_csv('\(given.path)')", datasets: [given]).rows == [[.n(1)]])
    }

    @Test func writingCopyingAndAttachingAreRefused() async throws {
        let target = folder.file("out.csv")
        try await refused("copy (select 1) to '\(target)'") { $0.contains("single SELECT") }
        try await refused("select 1); copy (select 1) to '\(target)'; select (1") { $0.contains("single SELECT") || $0.contains("syntax") }
        try await refused("attach '\(folder.file("x.db"))' as x") { $0.contains("single SELECT") }
        try await refused("create table t as select 1") { $0.contains("single SELECT") }
        try await refused("export database '\(folder.path)/dump'")
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: folder.file("x.db")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("dump")))
    }

    @Test func extensionsAndSettingsAreLocked() async throws {
        try await refused("install httpfs") { $0.contains("single SELECT") }
        try await refused("load httpfs") { $0.contains("single SELECT") }
        try await refused("load '\(try DuckDBInstall.locate().excelExtension!)'") { $0.contains("single SELECT") }
        try await refused("set enable_external_access = true") { $0.contains("single SELECT") }
        try await refused("reset lock_configuration") { $0.contains("single SELECT") }
        try await refused("pragma enable_profiling") { $0.contains("single SELECT") }
        // Functions that need an extension that is not loaded are not autoloaded.
        try await refused("select * from read_csv('https://example.com/x.csv')")
        // And from inside a SELECT, the settings read back as locked down.
        let e = try Support.engine(folder)
        let r = try await e.query("""
            select current_setting('enable_external_access') as ext, current_setting('lock_configuration') as locked,
                   current_setting('autoload_known_extensions') as autoload, current_setting('autoinstall_known_extensions') as autoinstall
            """, datasets: [given])
        #expect(r.rows == [[.bool(false), .bool(true), .bool(false), .bool(false)]])
    }

    @Test func shellDotCommandsNeverReachTheShell() async throws {
        let marker = folder.file("pwned")
        for attack in [
            ".shell touch \(marker)",
            "select 1;\n.shell touch \(marker)\nselect 2",
            "select 1\n.system touch \(marker)",
            "select '\n.shell touch \(marker)\n'",
            "select 1;\n.output \(marker)\nselect 2",
            "select 1;\n.read \(secret)",
        ] {
            let e = try Support.engine(folder)
            do {
                let r = try await e.query(attack, datasets: [given])
                // A string literal holding the text is only a string.
                #expect(r.rows.allSatisfy { $0.allSatisfy { if case .string = $0 { true } else { false } } }, "\(attack) → \(r.rows)")
            } catch let error as DataEngineError {
                #expect(!"\(error)".contains("hunter2"))
            }
            #expect(!FileManager.default.fileExists(atPath: marker), "\(attack) reached the shell")
        }
    }

    @Test func quotesInTheSQLCannotBreakOut() async throws {
        let e = try Support.engine(folder)
        // The text travels base64-encoded; quotes and backslashes are just characters.
        let r = try await e.query(#"select 'it''s' as a, '"));' as c, 'back\slash' as d"#, datasets: [given])
        #expect(r.rows == [[.s("it's"), .s("\"));"), .s("back\\slash")]])
    }
}
