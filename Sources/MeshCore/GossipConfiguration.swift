/// Settings of the gossip router, each with its unit. Defaults follow the Mesh core issue.
public struct GossipConfiguration: Sendable, Equatable {
    /// `flood`: every new message goes to every neighbour but the sender.
    /// `tree`: epidemic broadcast trees (Plumtree): eager push along a spanning tree, lazy
    /// announcements (IHAVE) to the other neighbours, GRAFT/PRUNE to repair the tree.
    /// `source`: per-source trees: each origin's broadcasts go down the breadth-first tree
    /// rooted at that origin, built from the distances neighbours advertise (reverse-path,
    /// `GossipRouter+Routes.swift`); no per-message announcements: the periodic digests
    /// repair what a push lost. The shared tree of `tree` mode stays as the fallback for
    /// origins without a route.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case flood, tree, source
    }

    public static let maximumTTL: UInt32 = 16

    public var mode: Mode = .flood
    /// Hops a new broadcast may travel (1...16).
    public var ttl: UInt32 = 8
    /// Message IDs remembered to drop duplicates: at most this many entries…
    public var seenCapacity = 100_000
    /// …each for at most this long.
    public var seenMaxAge: Duration = .seconds(120)
    /// Origins for which the router remembers the highest broadcast it has forgotten, to refuse
    /// older copies that come back after the seen-cache let them go (`ForgottenFloors`).
    public var forgottenOriginsCapacity = 100_000
    /// Recent messages whose bytes are kept to answer GRAFT and WANT (entries); they also age
    /// out after `seenMaxAge`.
    public var storeCapacity = 10_000
    /// Largest payload a node broadcasts or forwards, in bytes.
    public var maxPayloadBytes = 256 * 1024
    /// Tree mode: announcements to lazy peers are batched for this long.
    public var lazyFlushInterval: Duration = .milliseconds(50)
    /// Time to wait for an announced message to arrive by push before requesting it, and
    /// before asking the next announcer when a request goes unanswered.
    public var announcementWait: Duration = .milliseconds(100)
    /// Anti-entropy: every interval, one random neighbour gets a digest of recent message IDs.
    public var repairInterval: Duration = .seconds(1)
    /// Messages another layer repairs (a node's ops: replication's anti-entropy) are offered
    /// in digests only while younger than this: long enough to repair a copy lost on a link,
    /// short enough that a partition's or a restart's gap is left to the layer that sends
    /// exact, compressed differences.
    public var handOverAge: Duration = .seconds(3)
    /// Most IDs in one digest or one IHAVE.
    public var digestMaxIDs = 512
    /// Announcements waiting for the next lazy flush, per neighbour.
    public var pendingAnnouncementsPerPeer = 4096
    /// Messages known to exist but not yet received, waiting for a GRAFT/WANT.
    public var missingCapacity = 10_000
    /// Neighbours the router routes to.
    public var maxNeighbours = 64
    /// Tree mode: every interval, each neighbour hears this node's place in the tree again.
    public var treeAdvertInterval: Duration = .seconds(5)
    /// Source mode: origins this node keeps a route to, and most entries it keeps from one
    /// neighbour. Origins beyond it fall back to the shared tree.
    public var maxRoutes = 4096
    /// Source mode: most route entries in one advert (a full table goes out in chunks).
    public var routesPerAdvert = 1024

    public init() {}
}

/// What the router counted. Every field is a running total since the router started.
public struct GossipCounters: Sendable, Equatable, Codable {
    public var broadcastsOriginated = 0
    public var delivered = 0
    public var duplicatesDropped = 0
    /// Copies of a message's payload put on a link (pushes and repairs).
    public var payloadCopiesSent = 0
    public var repairCopiesSent = 0
    public var iHaveMessagesSent = 0
    public var announcementsSent = 0
    public var graftsSent = 0
    public var prunesSent = 0
    public var wantsSent = 0
    public var digestsSent = 0
    public var requestsUnanswerable = 0
    public var ttlDrops = 0
    public var limitHits = 0
    public var treeChanges = 0
    public var treeAdvertsSent = 0
    /// Source mode: routes to an origin that were added, changed or withdrawn.
    public var routeChanges = 0
    /// Messages pushed again because a copy with more TTL arrived after the first.
    public var reachExtensions = 0
    /// Better copies asked for after a digest showed a neighbour holds one nearer the origin
    /// than this node's, which had no TTL left.
    public var reachPulls = 0
    /// Copies refused because their origin's later broadcast was already forgotten (also
    /// counted in `duplicatesDropped`).
    public var forgottenRefused = 0

    public init() {}
}
