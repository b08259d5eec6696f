import MeshCore

extension ActingPerson {
    /// The person the current request acts for, set by the HTTP API around each request of a
    /// signed-in account (nil for the node's operator and for work the node does on its own,
    /// such as a pairing's grant): `Node.write` signs as them where they are a member. A task
    /// local, so every service a request reaches writes as its caller without threading the
    /// caller through each call.
    @TaskLocal public static var current: ActingPerson?
}
