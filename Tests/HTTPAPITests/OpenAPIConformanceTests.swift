import Foundation
import Testing
@testable import HTTPAPI

/// Protocol/openapi.yaml is the contract: the node serves exactly the operations it lists.
/// (Schemas are checked against a live node by schemathesis, scripts/test-api-fuzz.sh.)
@Suite struct OpenAPIConformanceTests {
    static let specURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Protocol/openapi.yaml")

    /// `METHOD /path` for every operation of the spec: paths are the two-space-indented keys
    /// under `paths:`, methods the four-space-indented HTTP verbs under them.
    static func specOperations() throws -> [String] {
        let lines = try String(contentsOf: specURL, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var inPaths = false, path: String?, out: [String] = []
        for line in lines {
            if line == "paths:" { inPaths = true; continue }
            if inPaths && !line.isEmpty && !line.hasPrefix(" ") { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    ") && !line.hasPrefix("     "), line.hasSuffix(":") {
                let verb = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(verb) { out.append("\(verb.uppercased()) \(path)") }
            }
        }
        return out.sorted()
    }

    @Test func theNodeServesExactlyTheSpecsOperations() async throws {
        let t = try await TestNode()
        let served = buildRoutes(node: t.node, services: t.services).routes
        let spec = try Self.specOperations()
        #expect(spec.count >= 20, "the spec parser found \(spec.count) operations")
        #expect(Set(served).subtracting(spec).sorted() == [], "served but not in Protocol/openapi.yaml")
        #expect(Set(spec).subtracting(served).sorted() == [], "in Protocol/openapi.yaml but not served")
        #expect(served.count == Set(served).count, "no route registered twice")
    }

    @Test func everyRouteDeclaresThePermissionItNeeds() async throws {
        let t = try await TestNode()
        let served = Set(buildRoutes(node: t.node, services: t.services).routes)
        let declared = Set(RouteRequirements.table.keys)
        #expect(served.subtracting(declared).sorted() == [], "routes without a declared requirement")
        #expect(declared.subtracting(served).sorted() == [], "requirements for routes that do not exist")
    }
}
