import Glibc

/// The signals a client may send a session by name (`{"signal": "INT"}` on the attachment), so a
/// page can interrupt or stop a program whose terminal no longer answers keys. Only these: a
/// client names what it wants, the node never passes a number through.
public enum TerminalSignal: String, Sendable, CaseIterable {
    case hup = "HUP", int = "INT", quit = "QUIT", kill = "KILL", term = "TERM"
    case usr1 = "USR1", usr2 = "USR2", cont = "CONT", stop = "STOP", tstp = "TSTP", winch = "WINCH"

    /// The signal a name means, with or without the `SIG` prefix, any case; nil for others.
    public static func named(_ name: String) -> TerminalSignal? {
        var n = name.uppercased()
        if n.hasPrefix("SIG") { n.removeFirst(3) }
        return TerminalSignal(rawValue: n)
    }

    public var number: Int32 {
        switch self {
        case .hup: SIGHUP
        case .int: SIGINT
        case .quit: SIGQUIT
        case .kill: SIGKILL
        case .term: SIGTERM
        case .usr1: SIGUSR1
        case .usr2: SIGUSR2
        case .cont: SIGCONT
        case .stop: SIGSTOP
        case .tstp: SIGTSTP
        case .winch: SIGWINCH
        }
    }

    /// The accepted names, for the error that lists them.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
