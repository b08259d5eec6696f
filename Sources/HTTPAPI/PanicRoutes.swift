import Foundation
import Hummingbird
import Logging
import Services

/// `POST /api/v1/panic` with `{"confirm": "WIPE"}`: destroys this node's keys, answers 202 with
/// how long that took, then destroys the rest of its data folder and ends the process.
///
/// The rules it keeps:
/// - Founder-level only (RouteRequirements: `.founder`, which the operator token also passes).
/// - Without the exact word, 400 and nothing is touched: a stray click or a replayed empty POST
///   must never wipe a node.
/// - The answer comes once the keys are gone, not when everything is: the keys are what matter
///   on a device about to be taken, and the caller should know that as early as it can.
/// - It logs (to the node's log, standard error) before it starts and never after: a log line
///   written after the wipe would be a record of it left on the device.
struct PanicRoutes: Sendable {
    /// The word the body must carry, exactly.
    static let word = PanicWipe.confirmWord

    let folder: String
    let logger: Logger
    /// Ends the node once its folder is gone. Exit status 0 on purpose: a supervisor that restarts
    /// failed services (systemd's on-failure) must not start a fresh node in its place.
    var exit: @Sendable () -> Void = { Foundation.exit(0) }

    struct PanicRequest: Decodable { let confirm: String? }

    struct Accepted: ResponseEncodable {
        let keysGoneMs: Double
        let shredded: [String]
        let sealedKeysZeroed: Int
        let problems: [String]
        let next: String
    }

    func register(on router: some RouterMethods<APIRequestContext>) {
        router.post("/api/v1/panic") { request, context -> EditedResponse<Accepted> in
            // Any body that does not say the word gets the same answer, with what to send.
            let body = try? await request.decode(as: PanicRequest.self, context: context)
            guard body?.confirm == Self.word else {
                throw APIError.badRequest(#"to wipe this node send {"confirm": "\#(Self.word)"}: it destroys the node's keys, "#
                                          + "then all its data, then the node stops; nothing was touched")
            }
            logger.critical("panic wipe: destroying the keys, then the data folder, then stopping; no log line follows",
                            metadata: ["by": "\(context.caller?.auditName ?? "unknown")", "folder": "\(folder)"])
            let start = ContinuousClock.now
            let wipe = PanicWipe(folder: folder)
            let plan: PanicPlan, keys: PanicWipe.Report
            do { (plan, keys) = try wipe.destroyKeys(start: start) } catch {
                throw APIError(.internalServerError, "panic_failed", "\(error)")
            }
            let exit = self.exit
            Task.detached {
                _ = wipe.destroyRest(plan, after: keys, start: start)
                // Give the 202 time to leave before the process (and its sockets) go.
                try? await Task.sleep(for: .milliseconds(300))
                exit()
            }
            return EditedResponse(status: .accepted, response: Accepted(
                keysGoneMs: keys.keysGoneMs, shredded: keys.shredded, sealedKeysZeroed: keys.sealedKeysZeroed, problems: keys.problems,
                next: "the rest of the data folder is being removed; then the node stops"))
        }
    }
}
