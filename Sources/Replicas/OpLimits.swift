/// The limits every op keeps, in the units they are counted in (PROTOCOL.md section 7.1).
///
/// One table for every edge: `OpValidator` applies it before a local op is signed and when an
/// op is decoded, and the HTTP API refuses a request that would break it with the same
/// numbers (Protocol/openapi.yaml states them as `x-max-bytes`; a test holds the two together).
/// Text is measured in UTF-8 bytes, never in characters: one character can be thousands of
/// bytes (a letter followed by combining accents), and bytes are what a replica stores.
public enum OpLimits {
    /// A person's display name: 1 to 64 bytes, no control or format characters (it is shown on
    /// every member's screen).
    public static let personNameBytes = 64
    /// A team, workflow or stage name: 1 to 200 bytes.
    public static let nameBytes = 200
    /// A work item's title: 1 to 1,000 bytes.
    public static let titleBytes = 1000
    /// A vault entry's sealed name (base64 of nonce, ciphertext and tag): at most 1,000 bytes.
    public static let sealedNameBytes = 1000
    /// The random nonce that makes two teams of the same name distinct: at most 64 bytes.
    public static let teamNonceBytes = 64
    /// Stages of one workflow: 1 to 32.
    public static let stages = 32
    /// A work item's priority: 0 (lowest) to 9 (highest).
    public static let priority: ClosedRange<Int32> = 0...9
    /// A stage's SLA: 1 second to 30 days.
    public static let slaSeconds: ClosedRange<UInt64> = 1...(30 * 86_400)
    /// Chunks of one vault file (at 512 KiB a chunk: 512 GiB).
    public static let chunksPerBlob = 1 << 20
    /// A vault chunk's plaintext size: 1 byte to 4 MiB.
    public static let chunkSize: ClosedRange<UInt32> = 1...(4 << 20)
    /// A message's text: 1 to 8,192 bytes.
    public static let messageBytes = 8192
    /// A channel's name: 1 to 32 bytes of lowercase letters, digits, `-` and `_`, starting with a
    /// letter or digit (a name every screen and command line shows the same way).
    public static let channelBytes = 32
    /// Members one message mentions: at most 32, each once.
    public static let mentions = 32
    /// Vault files one message attaches: at most 10.
    public static let attachments = 10
}

/// Why an op breaks a limit: the field (as the HTTP API and the op's JSON name it), what the
/// limit is, and what was found. Its `description` is a sentence for the person who typed it.
public struct OpLimitViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field, e.g. `title` or `stages[2].name`.
    public var field: String
    /// The limit as a user reads it, e.g. `1 to 1000 bytes`.
    public var limit: String
    /// What was found, e.g. `3001 bytes`.
    public var found: String

    public init(field: String, limit: String, found: String) {
        self.field = field
        self.limit = limit
        self.found = found
    }

    public var description: String { "\(field) must be \(limit); it is \(found)" }
}

/// The one validator every op passes: before a local op is signed (`Replication`) and when an
/// op is decoded from bytes (`OpCoding`). It checks sizes and ranges only; who may do what is
/// the rules' business (`TeamRules`).
public enum OpValidator {
    /// Throws the first limit `operation` breaks.
    public static func validate(_ operation: TeamOperation) throws(OpLimitViolation) {
        switch operation {
        case let .createTeam(name, nonce):
            try text(name, "name", max: OpLimits.nameBytes)
            guard nonce.count <= OpLimits.teamNonceBytes else {
                throw OpLimitViolation(field: "nonce", limit: "at most \(OpLimits.teamNonceBytes) bytes", found: "\(nonce.count) bytes")
            }
        case let .renameTeam(name):
            try text(name, "name", max: OpLimits.nameBytes)
        case let .defineWorkflow(name, stages):
            try text(name, "name", max: OpLimits.nameBytes)
            guard (1...OpLimits.stages).contains(stages.count) else {
                throw OpLimitViolation(field: "stages", limit: "1 to \(OpLimits.stages) stages", found: "\(stages.count) stages")
            }
            for (k, stage) in stages.enumerated() {
                try text(stage.name, "stages[\(k)].name", max: OpLimits.nameBytes)
                guard stage.roles.count <= Role.allCases.count else {
                    throw OpLimitViolation(field: "stages[\(k)].roles", limit: "at most \(Role.allCases.count) roles",
                                           found: "\(stage.roles.count) roles")
                }
                if let sla = stage.slaSeconds, !OpLimits.slaSeconds.contains(sla) {
                    throw OpLimitViolation(field: "stages[\(k)].slaSeconds",
                                           limit: "\(OpLimits.slaSeconds.lowerBound) to \(OpLimits.slaSeconds.upperBound) seconds (30 days)",
                                           found: "\(sla)")
                }
            }
        case let .createItem(_, title, priority):
            try text(title, "title", max: OpLimits.titleBytes)
            try self.priority(priority)
        case let .setPriority(_, priority):
            try self.priority(priority)
        case let .putBlob(meta):
            try text(meta.name, "name", max: OpLimits.sealedNameBytes)
            guard meta.chunks.count <= OpLimits.chunksPerBlob else {
                throw OpLimitViolation(field: "chunks", limit: "at most \(OpLimits.chunksPerBlob) chunks", found: "\(meta.chunks.count) chunks")
            }
            guard OpLimits.chunkSize.contains(meta.chunkSize) else {
                throw OpLimitViolation(field: "chunkSize", limit: "1 to \(OpLimits.chunkSize.upperBound) bytes", found: "\(meta.chunkSize)")
            }
            // The chunks must hold the file: a size beyond them is a lie that a reader would trust.
            let capacity = UInt64(meta.chunks.count) * UInt64(meta.chunkSize)
            guard meta.size <= capacity else {
                throw OpLimitViolation(field: "size", limit: "at most chunks × chunkSize (\(capacity) bytes)", found: "\(meta.size) bytes")
            }
        case let .addMember(_, _, _, name?, _):
            try personName(name)
        case let .postMessage(message):
            try self.message(message)
        case .addMember, .removeMember, .setRole, .createInvite, .revokeInvite, .requestPromotion, .approvePromotion,
             .claimItem, .startItem, .completeItem, .deleteBlob:
            // Fixed-size fields only, checked by their decoding.
            break
        }
    }

    /// A message: its text, where it goes (a channel or an item, never both), its lists.
    static func message(_ m: MessageContent) throws(OpLimitViolation) {
        try text(m.text, "text", max: OpLimits.messageBytes)
        switch (m.channel.isEmpty, m.item) {
        case (true, nil):
            throw OpLimitViolation(field: "channel", limit: "a channel or an item", found: "neither")
        case (false, _?):
            throw OpLimitViolation(field: "channel", limit: "empty when the message is in an item's thread", found: "'\(m.channel)'")
        case (false, nil):
            try channel(m.channel)
        case (true, _?):
            break
        }
        guard m.mentions.count <= OpLimits.mentions else {
            throw OpLimitViolation(field: "mentions", limit: "at most \(OpLimits.mentions)", found: "\(m.mentions.count)")
        }
        guard Set(m.mentions).count == m.mentions.count else {
            throw OpLimitViolation(field: "mentions", limit: "each member once", found: "a member named twice")
        }
        guard m.attachments.count <= OpLimits.attachments else {
            throw OpLimitViolation(field: "attachments", limit: "at most \(OpLimits.attachments)", found: "\(m.attachments.count)")
        }
    }

    /// A channel's name: 1 to `OpLimits.channelBytes` bytes of `a-z`, `0-9`, `-`, `_`, not starting with `-` or `_`.
    public static func channel(_ name: String) throws(OpLimitViolation) {
        try text(name, "channel", max: OpLimits.channelBytes)
        let allowed = name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
        let first = name.utf8.first!
        guard allowed, first != 0x2D, first != 0x5F else {
            throw OpLimitViolation(field: "channel", limit: "lowercase letters, digits, '-' and '_', starting with a letter or digit",
                                   found: "'\(name)'")
        }
    }

    /// A person's display name: 1 to `OpLimits.personNameBytes` bytes, no control or format
    /// characters. The one rule for names, whether an account is registered or an op is read.
    public static func personName(_ name: String) throws(OpLimitViolation) {
        try text(name, "name", max: OpLimits.personNameBytes)
        // A name that rewrites the screen around it (a bidi override, a newline) would let
        // one member pass for another in every list.
        if let bad = name.unicodeScalars.first(where: { [.control, .format].contains($0.properties.generalCategory) }) {
            throw OpLimitViolation(field: "name", limit: "text without control or format characters",
                                   found: "U+\(String(bad.value, radix: 16, uppercase: true))")
        }
    }

    /// 1 to `max` bytes of UTF-8.
    static func text(_ s: String, _ field: String, max: Int) throws(OpLimitViolation) {
        let bytes = s.utf8.count
        guard (1...max).contains(bytes) else {
            throw OpLimitViolation(field: field, limit: "1 to \(max) bytes (UTF-8)", found: bytes == 0 ? "empty" : "\(bytes) bytes")
        }
    }

    static func priority(_ p: Int32) throws(OpLimitViolation) {
        guard OpLimits.priority.contains(p) else {
            throw OpLimitViolation(field: "priority", limit: "\(OpLimits.priority.lowerBound) to \(OpLimits.priority.upperBound)", found: "\(p)")
        }
    }
}
