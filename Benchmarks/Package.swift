// swift-tools-version: 6.1
// Benchmarks of ElohimOS (ordo-one/benchmark). A package of its own so the node's build never
// waits for the benchmark tooling. Run from this folder: `swift package benchmark`.
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, so the root package's identity is the name
/// of whatever folder the repository was cloned into.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ElohimBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ReplicaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ElohimCore", package: root),
                .product(name: "ElohimNode", package: root),
            ],
            path: "Benchmarks/ReplicaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(
            name: "LinkHarness",
            dependencies: [
                .product(name: "ElohimCore", package: root),
                .product(name: "ElohimNode", package: root),
            ],
            path: "Benchmarks/LinkHarness"
        ),
        // Not a benchmark: the link's bulk figure outside the harness, for `perf record`.
        .executableTarget(
            name: "LinkProfile",
            dependencies: [
                "LinkHarness",
                .product(name: "ElohimCore", package: root),
                .product(name: "ElohimNode", package: root),
            ],
            path: "Benchmarks/LinkProfile"
        ),
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: [
                "LinkHarness",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ElohimCore", package: root),
                .product(name: "ElohimNode", package: root),
            ],
            path: "Benchmarks/TransportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
