import Foundation
import NIOCore
import NIOHTTP1

/// What `ResponseHandler` passes on to the reader of the answer.
enum ResponseEvent: Sendable {
    /// The status line arrived.
    case head(status: Int)
    /// One complete line of the body (`.lines` mode), without its `\n`.
    case line(ByteBuffer)
    /// The whole body (`.whole` mode).
    case body(ByteBuffer)
    /// The answer is complete; anything after it is not part of this exchange.
    case end
}

/// Turns one HTTP response into `ResponseEvent`s, and keeps the exchange's time and size limits.
///
/// Rules it keeps:
/// - the first byte must come within `firstByte` of the connection opening (a model loads slowly,
///   so this is long), then each line (or body part) within `idle` of the last; otherwise the
///   channel closes with `ModelServerError.timedOut`;
/// - in `.lines` mode no line may pass `maxLineBytes`, in `.whole` mode the body may not pass
///   `maxBodyBytes`; otherwise the channel closes with `ModelServerError.responseTooLarge`.
/// NIOHTTP1's decoder has already undone chunked transfer encoding, so the body parts are the bytes.
final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = ResponseEvent

    enum Mode {
        case lines(maxLineBytes: Int)
        case whole(maxBodyBytes: Int)
    }

    private let mode: Mode
    private let firstByte: TimeAmount
    private let idle: TimeAmount
    private var lines: LineBuffer?
    private var body: ByteBuffer?
    private var timer: Scheduled<Void>?
    private var finished = false
    private let failure: FailureRecord

    init(mode: Mode, firstByte: TimeAmount, idle: TimeAmount, failure: FailureRecord) {
        self.mode = mode
        self.firstByte = firstByte
        self.idle = idle
        self.failure = failure
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context: context, phase: .firstByte, after: firstByte)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Added to a channel that is already connected: the clock starts now.
        if context.channel.isActive { arm(context: context, phase: .firstByte, after: firstByte) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            arm(context: context, phase: .idle, after: idle)
            switch mode {
            case .lines(let max): lines = LineBuffer(maxLineBytes: max, allocator: context.channel.allocator)
            case .whole: body = context.channel.allocator.buffer(capacity: 0)
            }
            context.fireChannelRead(wrapInboundOut(.head(status: Int(head.status.code))))
        case .body(var part):
            switch mode {
            case .lines(let max):
                let complete: [ByteBuffer]
                do { complete = try lines!.append(part) } catch {
                    return abandon(context: context, .responseTooLarge(what: "a line of its answer", limit: max))
                }
                if !complete.isEmpty { arm(context: context, phase: .idle, after: idle) }
                for line in complete { context.fireChannelRead(wrapInboundOut(.line(line))) }
            case .whole(let max):
                guard body!.readableBytes + part.readableBytes <= max else {
                    return abandon(context: context, .responseTooLarge(what: "an answer", limit: max))
                }
                body!.writeBuffer(&part)
                arm(context: context, phase: .idle, after: idle)
            }
        case .end:
            finished = true
            timer?.cancel()
            if let last = lines?.finish() { context.fireChannelRead(wrapInboundOut(.line(last))) }
            if let whole = body { context.fireChannelRead(wrapInboundOut(.body(whole))) }
            context.fireChannelRead(wrapInboundOut(.end))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// Starts (or restarts) the one timer this exchange has.
    private func arm(context: ChannelHandlerContext, phase: ModelServerError.TimeoutPhase, after delay: TimeAmount) {
        timer?.cancel()
        let seconds = Double(delay.nanoseconds) / 1e9
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            self?.abandon(context: context, .timedOut(phase, seconds: seconds))
        }
    }

    /// Ends the exchange with `error`: the reader sees it, and the connection closes.
    private func abandon(context: ChannelHandlerContext, _ error: ModelServerError) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        failure.record(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

/// Why `ResponseHandler` ended an exchange, for the task that runs it: closing the channel can make
/// that task's pending write fail first ("I/O on closed channel"), and the reason must win over that.
final class FailureRecord: @unchecked Sendable {
    // A lock, not an actor: written on the event loop, read once by the exchange's task.
    private let lock = NSLock()
    private var first: ModelServerError?

    func record(_ error: ModelServerError) { lock.withLock { if first == nil { first = error } } }
    var error: ModelServerError? { lock.withLock { first } }
}
