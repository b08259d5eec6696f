/// A member's role in a team, in order of power. PROTOCOL.md section 7.3 states what each may do.
public enum Role: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    /// Reads only: every op a Guest authors is rejected on every replica.
    case guest = 1
    /// Works on workflows and the vault.
    case member = 2
    /// Also manages members (but never the Super Admin) and workflows.
    case admin = 3
    /// The team's creator (or an Admin promoted by the failsafe): cannot be removed.
    case superAdmin = 4

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .guest: "guest"
        case .member: "member"
        case .admin: "admin"
        case .superAdmin: "super-admin"
        }
    }

    public init?(name: String) {
        guard let r = Role.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = r
    }
}

/// Where a work item stands.
public enum ItemStatus: Int, Sendable, CaseIterable, CustomStringConvertible {
    case queued = 1, claimed, inProgress, completed

    public var description: String {
        switch self {
        // Spelled as the API and the CLI spell them, so a refusal reads the same everywhere.
        case .queued: "queued"
        case .claimed: "claimed"
        case .inProgress: "in_progress"
        case .completed: "completed"
        }
    }
}
