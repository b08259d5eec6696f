import CAvahi
import Foundation
import Logging
import Wire

/// mDNS discovery through the system's avahi-daemon (libavahi-client): publishes this node as
/// `_elohim._tcp` with its node ID in the TXT record, and reports other nodes as they appear
/// and leave. IPv4 only: link-local IPv6 addresses need an interface to be dialled.
///
/// All Avahi calls run on Avahi's own thread (a threaded poll); calls from elsewhere take its
/// lock. Without a reachable daemon `start` logs one warning and returns nil: the node keeps
/// working with its explicit peers.
public final class Discovery: @unchecked Sendable {
    public static let serviceType = "_elohim._tcp"

    /// A node seen on the LAN.
    public struct Found: Sendable, Equatable {
        public var serviceName: String
        public var node: NodeID?
        public var address: HostPort
        public var txt: [String: String]

        /// The rendezvous tags of the pairing codes the node has open (TXT `pair`).
        public var pairingTags: [String] { (txt["pair"] ?? "").split(separator: ",").map(String.init) }
    }

    private let poll: OpaquePointer
    private var client: OpaquePointer?
    private var group: OpaquePointer?
    private var browser: OpaquePointer?
    private var serviceName: String
    private let port: UInt16
    private var txt: [String: String]
    private let me: NodeID
    private let logger: Logger
    private let onFound: @Sendable (Found) -> Void
    private let onLost: @Sendable (String) -> Void
    /// Services browsed, by name, so `refresh` can resolve them again (guarded by the poll lock).
    private var browsed: [String: (interface: AvahiIfIndex, proto: AvahiProtocol, type: String, domain: String)] = [:]
    /// Browsed services whose resolution succeeded at least once (guarded by the poll lock).
    private var resolvedNames: Set<String> = []

    private init(poll: OpaquePointer, me: NodeID, port: UInt16, txt: [String: String], logger: Logger,
                 onFound: @escaping @Sendable (Found) -> Void, onLost: @escaping @Sendable (String) -> Void) {
        self.poll = poll
        self.me = me
        self.port = port
        self.txt = txt
        self.logger = logger
        self.onFound = onFound
        self.onLost = onLost
        serviceName = "elohim-\(me.short.lowercased())"
    }

    /// Publishes and browses; nil (after one warning) when no Avahi daemon answers.
    public static func start(me: NodeID, port: Int, txt: [String: String], logger: Logger,
                             onFound: @escaping @Sendable (Found) -> Void,
                             onLost: @escaping @Sendable (String) -> Void) -> Discovery? {
        guard let poll = avahi_threaded_poll_new() else {
            logger.warning("mDNS discovery is off: Avahi's event loop could not start. Explicit --peer links still work.")
            return nil
        }
        let d = Discovery(poll: poll, me: me, port: UInt16(clamping: port), txt: txt, logger: logger, onFound: onFound, onLost: onLost)
        var error: Int32 = 0
        let userdata = Unmanaged.passRetained(d).toOpaque()
        guard let client = avahi_client_new(avahi_threaded_poll_get(poll), AvahiClientFlags(rawValue: 0), clientCallback,
                                            userdata, &error) else {
            Unmanaged<Discovery>.fromOpaque(userdata).release()
            avahi_threaded_poll_free(poll)
            let reason = String(cString: avahi_strerror(error))
            logger.warning("mDNS discovery is off: no Avahi daemon (\(reason)). Start dbus and avahi-daemon to find peers on the LAN; explicit --peer links still work.")
            return nil
        }
        d.client = client
        guard avahi_threaded_poll_start(poll) >= 0 else {
            avahi_client_free(client)
            avahi_threaded_poll_free(poll)
            logger.warning("mDNS discovery is off: Avahi's thread could not start.")
            return nil
        }
        logger.info("mDNS discovery on", metadata: ["service": "\(d.serviceName).\(serviceType)"])
        return d
    }

    /// Stops publishing and browsing and frees everything (after the Avahi thread stopped).
    public func stop() {
        avahi_threaded_poll_stop(poll)
        if let browser { avahi_service_browser_free(browser) }
        if let group { avahi_entry_group_free(group) }
        if let client { avahi_client_free(client) }
        avahi_threaded_poll_free(poll)
        Unmanaged.passUnretained(self).release()
    }

    /// Changes the TXT record (the pairing tag comes and goes).
    public func update(txt: [String: String]) {
        avahi_threaded_poll_lock(poll)
        defer { avahi_threaded_poll_unlock(poll) }
        self.txt = txt
        guard let group else { return }
        let list = Self.stringList(txt)
        defer { avahi_string_list_free(list) }
        _ = avahi_entry_group_update_service_txt_strlst(group, AvahiIfIndex(AVAHI_IF_UNSPEC), AvahiProtocol(AVAHI_PROTO_INET),
                                                        AvahiPublishFlags(rawValue: 0), serviceName, Self.serviceType, nil, list)
    }

    /// Resolves every browsed service again, so TXT changes (a pairing tag announced after
    /// the first resolution) reach `onFound`; with `onlyUnresolved`, only the services whose
    /// resolution has not succeeded yet (a resolver that timed out under load is not retried
    /// by Avahi). Resolution is asynchronous.
    public func refresh(onlyUnresolved: Bool = false) {
        avahi_threaded_poll_lock(poll)
        defer { avahi_threaded_poll_unlock(poll) }
        guard let client else { return }
        for name in browsed.keys.sorted() where !onlyUnresolved || !resolvedNames.contains(name) {
            let b = browsed[name]!
            _ = avahi_service_resolver_new(client, b.interface, b.proto, name, b.type, b.domain, AvahiProtocol(AVAHI_PROTO_INET),
                                           AvahiLookupFlags(rawValue: 0), resolveCallback, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    // MARK: Avahi thread

    fileprivate func clientChanged(_ c: OpaquePointer?, _ state: AvahiClientState) {
        switch state {
        case AVAHI_CLIENT_S_RUNNING:
            publish(c)
            browse(c)
        case AVAHI_CLIENT_FAILURE:
            logger.warning("mDNS discovery stopped: \(String(cString: avahi_strerror(avahi_client_errno(c))))")
        case AVAHI_CLIENT_S_COLLISION, AVAHI_CLIENT_S_REGISTERING:
            if let group { avahi_entry_group_reset(group) }
        default:
            break
        }
    }

    private func publish(_ c: OpaquePointer?) {
        if group == nil { group = avahi_entry_group_new(c, groupCallback, Unmanaged.passUnretained(self).toOpaque()) }
        guard let group, avahi_entry_group_is_empty(group) != 0 else { return }
        let list = Self.stringList(txt)
        defer { avahi_string_list_free(list) }
        let rc = avahi_entry_group_add_service_strlst(group, AvahiIfIndex(AVAHI_IF_UNSPEC), AvahiProtocol(AVAHI_PROTO_INET),
                                                      AvahiPublishFlags(rawValue: 0), serviceName, Self.serviceType, nil, nil,
                                                      port, list)
        if rc == Int32(AVAHI_ERR_COLLISION) { return renameAndRepublish(c) }
        guard rc >= 0, avahi_entry_group_commit(group) >= 0 else {
            logger.warning("mDNS publish failed: \(String(cString: avahi_strerror(rc)))")
            return
        }
    }

    fileprivate func groupChanged(_ g: OpaquePointer?, _ state: AvahiEntryGroupState) {
        switch state {
        case AVAHI_ENTRY_GROUP_COLLISION:
            renameAndRepublish(avahi_entry_group_get_client(g))
        case AVAHI_ENTRY_GROUP_ESTABLISHED:
            logger.info("mDNS: published \(serviceName)")
        case AVAHI_ENTRY_GROUP_FAILURE:
            let c = avahi_entry_group_get_client(g)
            logger.warning("mDNS: publishing \(serviceName) failed (\(String(cString: avahi_strerror(avahi_client_errno(c))))); trying again")
            if let group { avahi_entry_group_reset(group) }
            publish(c)
        default:
            break
        }
    }

    private func renameAndRepublish(_ c: OpaquePointer?) {
        let alternative = avahi_alternative_service_name(serviceName)!
        serviceName = String(cString: alternative)
        avahi_free(alternative)
        logger.notice("mDNS name taken; publishing as \(serviceName)")
        if let group { avahi_entry_group_reset(group) }
        publish(c)
    }

    private func browse(_ c: OpaquePointer?) {
        guard browser == nil else { return }
        browser = avahi_service_browser_new(c, AvahiIfIndex(AVAHI_IF_UNSPEC), AvahiProtocol(AVAHI_PROTO_INET), Self.serviceType,
                                            nil, AvahiLookupFlags(rawValue: 0), browseCallback,
                                            Unmanaged.passUnretained(self).toOpaque())
    }

    fileprivate func browsed(_ b: OpaquePointer?, _ interface: AvahiIfIndex, _ proto: AvahiProtocol, _ event: AvahiBrowserEvent,
                             _ name: UnsafePointer<CChar>?, _ type: UnsafePointer<CChar>?, _ domain: UnsafePointer<CChar>?) {
        switch event {
        case AVAHI_BROWSER_NEW:
            if let name, let type, let domain {
                browsed[String(cString: name)] = (interface, proto, String(cString: type), String(cString: domain))
            }
            _ = avahi_service_resolver_new(avahi_service_browser_get_client(b), interface, proto, name, type, domain,
                                           AvahiProtocol(AVAHI_PROTO_INET), AvahiLookupFlags(rawValue: 0), resolveCallback,
                                           Unmanaged.passUnretained(self).toOpaque())
        case AVAHI_BROWSER_REMOVE:
            if let name {
                browsed[String(cString: name)] = nil
                resolvedNames.remove(String(cString: name))
                onLost(String(cString: name))
            }
        default:
            break
        }
    }

    fileprivate func resolved(_ r: OpaquePointer?, _ event: AvahiResolverEvent, _ name: UnsafePointer<CChar>?,
                              _ address: UnsafePointer<AvahiAddress>?, _ port: UInt16, _ txtList: UnsafeMutablePointer<AvahiStringList>?) {
        defer { avahi_service_resolver_free(r) }
        guard event == AVAHI_RESOLVER_FOUND, let name, let address else {
            if let name { logger.debug("mDNS: could not resolve \(String(cString: name)); retrying later") }
            return
        }
        if resolvedNames.insert(String(cString: name)).inserted {
            logger.info("mDNS: found \(String(cString: name))")
        }
        var buffer = [CChar](repeating: 0, count: Int(AVAHI_ADDRESS_STR_MAX))
        avahi_address_snprint(&buffer, buffer.count, address)
        let txt = Self.dictionary(txtList)
        let node = txt["id"].flatMap { try? NodeID(parsing: $0) }
        guard node != me else { return }
        onFound(Found(serviceName: String(cString: name), node: node,
                      address: HostPort(host: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                                        port: Int(port)),
                      txt: txt))
    }

    // MARK: TXT records

    static func stringList(_ txt: [String: String]) -> UnsafeMutablePointer<AvahiStringList>? {
        var list: UnsafeMutablePointer<AvahiStringList>?
        for key in txt.keys.sorted() { list = avahi_string_list_add(list, "\(key)=\(txt[key]!)") }
        return list
    }

    static func dictionary(_ list: UnsafeMutablePointer<AvahiStringList>?) -> [String: String] {
        var out: [String: String] = [:]
        var node = list
        while let n = node {
            var key: UnsafeMutablePointer<CChar>?
            var value: UnsafeMutablePointer<CChar>?
            if avahi_string_list_get_pair(n, &key, &value, nil) == 0, let key {
                out[String(cString: key)] = value.map { String(cString: $0) } ?? ""
                avahi_free(key)
                if let value { avahi_free(value) }
            }
            node = avahi_string_list_get_next(n)
        }
        return out
    }
}

// C callbacks: no captures, the Discovery object comes back through `userdata`.
private let clientCallback: AvahiClientCallback = { client, state, userdata in
    Unmanaged<Discovery>.fromOpaque(userdata!).takeUnretainedValue().clientChanged(client, state)
}

private let groupCallback: AvahiEntryGroupCallback = { group, state, userdata in
    Unmanaged<Discovery>.fromOpaque(userdata!).takeUnretainedValue().groupChanged(group, state)
}

private let browseCallback: AvahiServiceBrowserCallback = { browser, interface, proto, event, name, type, domain, _, userdata in
    Unmanaged<Discovery>.fromOpaque(userdata!).takeUnretainedValue().browsed(browser, interface, proto, event, name, type, domain)
}

private let resolveCallback: AvahiServiceResolverCallback = { resolver, _, _, event, name, _, _, _, address, port, txt, _, userdata in
    Unmanaged<Discovery>.fromOpaque(userdata!).takeUnretainedValue().resolved(resolver, event, name, address, port, txt)
}
