import Replicas

/// How much of a thing a level permission allows.
public enum AccessLevel: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    case none = 0, read, write, admin
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { ["none", "read", "write", "admin"][rawValue] }
    public init?(name: String) { guard let l = Self.allCases.first(where: { $0.description == name }) else { return nil }; self = l }
}

/// The permissions of the catalog, each of one kind: boolean (allowed or not), level
/// (none/read/write/admin) or scope (allowed on everything, or only on one's own).
public enum Permission: String, Sendable, CaseIterable, Codable {
    case workflowsView = "workflows.view"
    case workflowsCreate = "workflows.create"
    case itemsCreate = "items.create"
    /// Claim, start, complete. Scope `ownOnly`: only items this account created.
    case itemsWork = "items.work"
    /// Post messages in the team's channels and items' threads (reading them is `workflows.view`).
    case messagesPost = "messages.post"
    case vaultAccess = "vault.access"
    /// Invite to the team and change who may do what in it.
    case teamManage = "team.manage"
    case auditRead = "audit.read"
    /// Open terminals (a shell on the node's machine) and edit the workspace's files. Node-wide:
    /// held through any team. Only the founder and Super Admins hold it unless it is granted;
    /// a team Admin does not get it with the role (a shell is more than a team's data).
    case terminalUse = "terminal.use"

    public enum Kind: Sendable { case boolean, level, scope }

    public var kind: Kind {
        switch self {
        case .vaultAccess: .level
        case .itemsWork: .scope
        default: .boolean
        }
    }
}

/// One permission's value. Its case must match the permission's kind.
public enum Grant: Sendable, Equatable, Codable {
    case allowed(Bool)
    case level(AccessLevel)
    /// Allowed; on one's own things only when `ownOnly`.
    case scope(ownOnly: Bool)
    /// Scope permissions not granted at all.
    case denied

    /// The most a grant of `kind` can be: what the founder and a Super Admin hold.
    static func full(_ kind: Permission.Kind) -> Grant {
        switch kind {
        case .boolean: .allowed(true)
        case .level: .level(.admin)
        case .scope: .scope(ownOnly: false)
        }
    }

    static func nothing(_ kind: Permission.Kind) -> Grant {
        switch kind {
        case .boolean: .allowed(false)
        case .level: .level(.none)
        case .scope: .denied
        }
    }

    /// The union of two grants (profiles add up): either allows, the higher level, the wider scope.
    func union(_ other: Grant) -> Grant {
        switch (self, other) {
        case let (.allowed(a), .allowed(b)): .allowed(a || b)
        case let (.level(a), .level(b)): .level(max(a, b))
        case let (.scope(a), .scope(b)): .scope(ownOnly: a && b)
        case (.denied, let x), (let x, .denied): x
        default: other
        }
    }

    func fits(_ kind: Permission.Kind) -> Bool {
        switch (self, kind) {
        case (.allowed, .boolean), (.level, .level), (.scope, .scope), (.denied, .scope): true
        default: false
        }
    }
}

/// What each team role may do before profiles and sets (the role baseline).
public enum RoleBaseline {
    public static func grants(for role: Role) -> [Permission: Grant] {
        var g: [Permission: Grant] = [:]
        for p in Permission.allCases { g[p] = .nothing(p.kind) }
        switch role {
        case .guest:
            g[.workflowsView] = .allowed(true)
            g[.vaultAccess] = .level(.read)
        case .member:
            g[.workflowsView] = .allowed(true)
            g[.itemsCreate] = .allowed(true)
            g[.itemsWork] = .scope(ownOnly: false)
            g[.messagesPost] = .allowed(true)
            g[.vaultAccess] = .level(.write)
        case .admin:
            for p in Permission.allCases where p != .terminalUse { g[p] = .full(p.kind) }
        case .superAdmin:
            for p in Permission.allCases { g[p] = .full(p.kind) }
        }
        return g
    }
}
