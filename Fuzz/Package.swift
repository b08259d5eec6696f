// swift-tools-version: 6.1
// libFuzzer targets for every decoder a peer or a client can feed (the edges issue). A package
// of its own: it is built with `--sanitize=fuzzer` into its own build folder, so the node's
// build never carries the instrumentation. Run with `make fuzz` (or `bash scripts/fuzz.sh`).
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder: the repository's clone folder.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ElohimFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // One binary, every target: FUZZ_TARGET picks which (one link step instead of seven).
        .executableTarget(
            name: "ElohimFuzz",
            dependencies: [
                .product(name: "ElohimCore", package: root),
                .product(name: "ElohimSimulation", package: root),
                .product(name: "ElohimAPI", package: root),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
