import Replicas

/// What an account was given in one team: a role, permission profiles (added up), and a
/// permission set (overrides, applied last; on a Super Admin, its restrictions).
public struct AccessAssignment: Sendable, Equatable, Codable {
    public var role: Role?
    public var profiles: [String]
    public var overrides: [Permission: Grant]

    public init(role: Role?, profiles: [String] = [], overrides: [Permission: Grant] = [:]) {
        self.role = role
        self.profiles = profiles
        self.overrides = overrides
    }

    // Stored as JSON with the role's name and the permissions' keys, so the text stays
    // readable and survives reordering of the enums.
    enum CodingKeys: String, CodingKey { case role, profiles, overrides }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decodeIfPresent(String.self, forKey: .role).flatMap(Role.init(name:))
        profiles = try c.decode([String].self, forKey: .profiles)
        overrides = try PermissionCoding.decode(c.decode([String: Grant].self, forKey: .overrides))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(role?.description, forKey: .role)
        try c.encode(profiles, forKey: .profiles)
        try c.encode(PermissionCoding.encode(overrides), forKey: .overrides)
    }
}

/// Permission-keyed maps as JSON objects keyed by the permission's name; unknown names
/// (from a newer version) are skipped.
enum PermissionCoding {
    static func encode(_ g: [Permission: Grant]) -> [String: Grant] { Dictionary(uniqueKeysWithValues: g.map { ($0.key.rawValue, $0.value) }) }
    static func decode(_ g: [String: Grant]) -> [Permission: Grant] {
        Dictionary(uniqueKeysWithValues: g.compactMap { k, v in Permission(rawValue: k).map { ($0, v) } })
    }
}

/// The answer for one (account, team): every permission's value, and why.
public struct EffectivePermissions: Sendable, Equatable {
    public var grants: [Permission: Grant]
    /// founder, super-admin, role:<name>, or none.
    public var basis: String

    public func grant(_ p: Permission) -> Grant { grants[p] ?? .nothing(p.kind) }

    /// Whether `p` allows the action: a boolean that is true, a level at least `level`, a
    /// scope that covers the thing (`own`: it is the caller's own).
    public func allows(_ p: Permission, level: AccessLevel = .read, own: Bool = false) -> Bool {
        switch grant(p) {
        case let .allowed(b): b
        case let .level(l): l >= level && l > .none
        case let .scope(ownOnly): !ownOnly || own
        case .denied: false
        }
    }
}

/// Resolution, in order: the founder is allowed everything; a Super Admin everything its set
/// does not restrict; anyone else gets the role's baseline, plus the union of its profiles,
/// then the set's overrides. Pure: the caller supplies the assignment and the profiles.
public enum PermissionResolver {
    public static func resolve(founder: Bool, assignment: AccessAssignment?,
                               profiles: [String: [Permission: Grant]]) -> EffectivePermissions {
        var grants: [Permission: Grant] = [:]
        if founder {
            for p in Permission.allCases { grants[p] = .full(p.kind) }
            return EffectivePermissions(grants: grants, basis: "founder")
        }
        guard let assignment, let role = assignment.role else {
            for p in Permission.allCases { grants[p] = .nothing(p.kind) }
            return EffectivePermissions(grants: grants, basis: "none")
        }
        if role == .superAdmin {
            for p in Permission.allCases { grants[p] = .full(p.kind) }
        } else {
            grants = RoleBaseline.grants(for: role)
            for name in assignment.profiles {
                for (p, g) in profiles[name] ?? [:] where g.fits(p.kind) { grants[p] = grants[p]!.union(g) }
            }
        }
        for (p, g) in assignment.overrides where g.fits(p.kind) { grants[p] = g }
        return EffectivePermissions(grants: grants, basis: role == .superAdmin ? "super-admin" : "role:\(role)")
    }
}
