import Hummingbird

/// Times every request and counts it by method, route pattern (never the raw path, so the
/// number of series stays bounded) and status.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let metrics: NodeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method.rawValue, route: route, status: response.status.code, duration: ContinuousClock.now - start)
            return response
        } catch let error as HTTPResponseError {
            metrics.request(method: request.method.rawValue, route: route, status: error.status.code, duration: ContinuousClock.now - start)
            throw error
        }
    }
}
