import MeshCore

/// Who is linked to whom: an undirected graph over node indices 0..<n.
public struct Topology: Sendable, Equatable {
    /// Sorted neighbour lists.
    public let neighbours: [[Int]]

    public var nodeCount: Int { neighbours.count }
    public var edgeCount: Int { neighbours.reduce(0) { $0 + $1.count } / 2 }

    public init(neighbours: [[Int]]) {
        self.neighbours = neighbours.map { $0.sorted() }
    }

    /// Builds the topology a scenario asks for. Random graphs come from `rng`; each node aims
    /// for `degree` links, and components left apart are joined by one link each, so the
    /// result is always connected.
    public static func build<R: RandomNumberGenerator>(_ spec: TopologySpec, nodes n: Int, using rng: inout R) -> Topology {
        var adj = [Set<Int>](repeating: [], count: n)
        func link(_ a: Int, _ b: Int) { adj[a].insert(b); adj[b].insert(a) }
        switch spec.kind {
        case .full:
            for a in 0..<n { for b in (a + 1)..<max(a + 1, n) { link(a, b) } }
        case .line:
            for a in 0..<max(0, n - 1) { link(a, a + 1) }
        case .ring:
            for a in 0..<max(0, n - 1) { link(a, a + 1) }
            if n > 2 { link(n - 1, 0) }
        case .random:
            let k = min(spec.degree ?? 1, n - 1)
            var order = Array(0..<n)
            order.shuffle(using: &rng)
            for a in order {
                while adj[a].count < k {
                    let candidates = (0..<n).filter { $0 != a && adj[$0].count < k && !adj[a].contains($0) }
                    guard let b = candidates.randomElement(using: &rng) else { break }
                    link(a, b)
                }
            }
            let parts = Topology(neighbours: adj.map { Array($0) }).components(among: Array(0..<n)) { _, _ in true }
            for i in 1..<max(1, parts.count) {
                link(parts[i - 1].randomElement(using: &rng)!, parts[i].randomElement(using: &rng)!)
            }
        }
        return Topology(neighbours: adj.map { Array($0) })
    }

    /// Hops between `a` and every node (-1 where unreachable), over links `allowed` accepts.
    public func distances(from a: Int, allowed: (Int, Int) -> Bool = { _, _ in true }) -> [Int] {
        var dist = [Int](repeating: -1, count: nodeCount)
        dist[a] = 0
        var frontier = [a]
        while !frontier.isEmpty {
            var next: [Int] = []
            for u in frontier {
                for v in neighbours[u] where dist[v] < 0 && allowed(u, v) {
                    dist[v] = dist[u] + 1
                    next.append(v)
                }
            }
            frontier = next
        }
        return dist
    }

    /// The longest shortest path, in hops (the graph is connected by construction).
    public var diameter: Int {
        (0..<nodeCount).reduce(0) { d, a in max(d, distances(from: a).max() ?? 0) }
    }

    /// Connected components of `nodes`, using only links between members that `allowed` accepts.
    /// Components are listed by their smallest member, members ascending.
    public func components(among nodes: [Int], allowed: (Int, Int) -> Bool) -> [[Int]] {
        let member = Set(nodes)
        var seen = Set<Int>()
        var out: [[Int]] = []
        for start in nodes.sorted() where !seen.contains(start) {
            var component = [start]
            seen.insert(start)
            var i = 0
            while i < component.count {
                let u = component[i]
                i += 1
                for v in neighbours[u] where member.contains(v) && !seen.contains(v) && allowed(u, v) {
                    seen.insert(v)
                    component.append(v)
                }
            }
            out.append(component.sorted())
        }
        return out
    }
}
