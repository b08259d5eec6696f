import Foundation
import MeshCore
import MeshNode
import Replicas
import Services
import Synchronization
import Wire

/// One event as clients of `/api/v1/events` receive it (a JSON text frame).
struct APIEvent: Encodable, Sendable {
    struct OpView: Encodable, Sendable {
        let id: String
        let action: String
        let author: String
        /// applied, rejected or conflict.
        let outcome: String
        let detail: String?
        /// For a conflict: the op whose change won.
        let winner: String?
        /// For a message (`post-message`): its channel, or the item whose thread it is in, so a
        /// client showing another conversation need not fetch anything.
        var channel: String? = nil
        var item: String? = nil
    }
    /// replica, peer, notice or paired.
    let type: String
    var team: String?
    var ops: [OpView]?
    var node: String?
    var status: String?
    var text: String?
}

/// Fans the node's single event stream out to every WebSocket client. Each subscriber has a
/// bounded buffer (the newest 256 events): a client too slow to read loses the oldest, never
/// slows the node. At most `maxSubscribers` at once.
final class EventHub: Sendable {
    static let maxSubscribers = 64
    static let bufferPerSubscriber = 256

    private let subscribers = Mutex<[UInt64: AsyncStream<APIEvent>.Continuation]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let pump = Mutex<Task<Void, Never>?>(nil)

    /// Starts reading `node.events`, which has one reader: build one hub per node.
    init(node: Node) {
        let task = Task { [weak self] in
            for await event in node.events {
                guard let self else { return }
                if let e = Self.view(event) { self.publish(e) }
            }
        }
        pump.withLock { $0 = task }
    }

    deinit { pump.withLock { $0?.cancel() } }

    func publish(_ e: APIEvent) {
        subscribers.withLock { subs in for c in subs.values { c.yield(e) } }
    }

    /// A stream of events and the call that ends it; nil when the hub is full.
    func subscribe() -> (AsyncStream<APIEvent>, @Sendable () -> Void)? {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<APIEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferPerSubscriber))
        let added = subscribers.withLock { subs -> Bool in
            guard subs.count < Self.maxSubscribers else { return false }
            subs[id] = continuation
            return true
        }
        guard added else { return nil }
        return (stream, { [weak self] in
            self?.subscribers.withLock { _ = $0.removeValue(forKey: id) }
            continuation.finish()
        })
    }

    static func view(_ event: NodeEvent) -> APIEvent? {
        switch event {
        case let .replicaChanged(change):
            let ops = zip(change.ops, change.outcomes).map { op, outcome -> APIEvent.OpView in
                let (name, detail, winner): (String, String?, String?) = switch outcome {
                case .applied: ("applied", nil, nil)
                case let .rejected(reason, detail): ("rejected", "\(reason.rawValue): \(detail)", nil)
                case let .conflict(c): ("conflict", "\(c.action) on item \(c.item.short) lost", c.winningOp.description)
                }
                var view = APIEvent.OpView(id: op.id.description, action: op.body.operation.name, author: op.author.description,
                                           outcome: name, detail: detail, winner: winner)
                if case let .postMessage(content) = op.body.operation {
                    view.channel = content.item == nil ? content.channel : nil
                    view.item = content.item?.description
                }
                return view
            }
            return APIEvent(type: "replica", team: change.team.description, ops: ops)
        case let .peerStatus(peer, status):
            return APIEvent(type: "peer", node: peer.description, status: status.rawValue)
        case let .notice(n):
            return APIEvent(type: "notice", node: n.origin.description, text: n.text)
        case let .paired(peer, team):
            return APIEvent(type: "paired", team: team?.description, node: peer.description)
        }
    }
}
