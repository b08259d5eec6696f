import Hummingbird
import Synchronization

/// A `RouterMethods` that forwards every route to the real router and writes down its method
/// and path, so a test can hold the routes the node serves against Protocol/openapi.yaml.
final class RouteTable<Parent: RouterMethods>: RouterMethods {
    typealias Context = Parent.Context
    let parent: Parent
    private let recorded = Mutex<[String]>([])

    init(_ parent: Parent) { self.parent = parent }

    /// `METHOD /path/{param}` for every route, sorted.
    var routes: [String] { recorded.withLock { $0.sorted() } }

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder)
        -> Self where Responder.Context == Context {
        // RouterPath spells a parameter `:name`; the spec spells it `{name}`.
        let spelled = path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
        recorded.withLock { $0.append("\(method.rawValue) /\(spelled.joined(separator: "/"))") }
        parent.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        parent.add(middleware: middleware)
        return self
    }
}
