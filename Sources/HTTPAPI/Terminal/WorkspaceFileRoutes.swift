import Foundation
import Hummingbird
import NIOCore
import Services
import Terminal

/// `/api/v1/workspace/files/{path}`: the editor reads and saves files of the workspace (needs
/// `terminal.use`). `{path}` is one path segment: the file's path relative to the workspace,
/// percent-encoded (`src%2Fmain.py`). `WorkspacePath` refuses an empty, absolute or too long
/// path, a NUL, a `..` that climbs out, and any link that leads outside the workspace (400
/// `path_refused`). A file is at most `maxBytes` (413 past it); a save replaces the file
/// atomically and makes the folders it needs.
struct WorkspaceFileRoutes: Sendable {
    let terminals: TerminalService?
    static let maxBytes = 4 << 20
    static let files = "/api/v1/workspace/files"

    struct Saved: ResponseEncodable { let path: String; let size: Int }

    func register(on router: some RouterMethods<APIRequestContext>) {
        // The editor's file list: regular files, links neither listed nor followed, bounded.
        router.get(RouterPath(stringLiteral: Self.files)) { _, _ -> WorkspaceListing in
            let terminals = try TerminalRoutes.on(terminals)
            return WorkspaceListing.list(root: terminals.workspace)
        }
        router.get(RouterPath(stringLiteral: Self.files + "/:path")) { _, context -> Response in
            let (file, _) = try await resolve(context)
            var info = stat()
            guard stat(file, &info) == 0 else { throw APIError.notFound("no file at that path in the workspace") }
            guard info.st_mode & S_IFMT == S_IFREG else { throw APIError.badRequest("that path is not a regular file") }
            guard info.st_size <= Self.maxBytes else { throw Self.tooLarge() }
            guard let data = FileManager.default.contents(atPath: file) else { throw APIError(.forbidden, "unreadable", "the node cannot read that file") }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.put(RouterPath(stringLiteral: Self.files + "/:path")) { request, context -> Saved in
            let (file, relative) = try await resolve(context)
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: Self.maxBytes) } catch { throw Self.tooLarge() }
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { throw APIError.badRequest("that path is a folder") }
            let folder = (file as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Data(buffer: body).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                throw APIError(.conflict, "unwritable", "the node cannot write \(relative): \(error.localizedDescription)")
            }
            return Saved(path: relative, size: body.readableBytes)
        }
    }

    /// The absolute file the route's `{path}` names, checked; and the relative path as decoded.
    private func resolve(_ context: APIRequestContext) async throws -> (String, String) {
        let terminals = try TerminalRoutes.on(terminals)
        let raw = try context.parameters.require("path")
        guard let relative = raw.removingPercentEncoding else { throw APIError.badRequest("the path is not valid percent-encoding") }
        do {
            return (try WorkspacePath(root: terminals.workspace).resolve(relative), relative)
        } catch {
            throw APIError(.badRequest, "path_refused", error.description)
        }
    }

    static func tooLarge() -> APIError {
        var e = APIError(.contentTooLarge, "too_large", "a workspace file is at most \(maxBytes >> 20) MiB")
        e.limit = "\(maxBytes) bytes"
        return e
    }
}

extension WorkspaceListing: ResponseEncodable {}
