// swift-tools-version: 6.1
// The module layout and the direction of dependencies follow DESIGN.md section 2:
//   Wire ← Replicas ← MeshCore ← Simulation, and MeshCore ← MeshNode ← Services ← HTTPAPI ← ElohimCLI.
// Wire, Replicas, MeshCore and Simulation are pure: no NIO, Hummingbird or GRDB may appear in
// their dependencies, so `swift build --target MeshCore` never waits for a server stack.

import PackageDescription

let package = Package(
    name: "ElohimOS",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "elohim", targets: ["ElohimCLI"]),
        // Libraries for the benchmark package in Benchmarks/ (kept apart so that building the
        // node never builds the benchmark tooling).
        .library(name: "ElohimCore", targets: ["Sodium", "Wire", "Replicas", "MeshCore"]),
        .library(name: "ElohimNode", targets: ["MeshNode"]),
        // For the fuzz package in Fuzz/: the scenario reader, and the API with its services.
        .library(name: "ElohimSimulation", targets: ["Simulation"]),
        .library(name: "ElohimAPI", targets: ["HTTPAPI", "Services", "MeshNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // System libraries (Debian packages; `make deps` installs them).
        .systemLibrary(name: "CSodium", path: "Sources/CSodium"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CSystemZlib", path: "Sources/CSystemZlib"),
        .systemLibrary(name: "CAvahi", path: "Sources/CAvahi"),
        .systemLibrary(name: "CXlsxWriter", path: "Sources/CXlsxWriter"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),

        // Pure modules.
        .target(
            name: "Sodium",
            // swift-crypto for BoringSSL's ChaCha20-Poly1305 on large messages (ChaChaPoly.swift).
            dependencies: ["CSodium", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Wire",
            dependencies: [
                "Sodium",
                "CZstd",
                "CSystemZlib",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "Replicas",
            dependencies: [
                "Wire",
                "Sodium",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "MeshCore",
            dependencies: [
                "Wire",
                "Sodium",
                "Replicas",
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "Simulation",
            dependencies: ["MeshCore", "Replicas", "Wire", "Sodium"]
        ),

        // Real IO.
        .target(
            name: "MeshNode",
            dependencies: [
                "MeshCore",
                "CAvahi",
                "Replicas",
                "Wire",
                "Sodium",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Services",
            dependencies: [
                "MeshNode",
                "Terminal",
                "Sodium",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                "Wire",
                "Replicas",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The data engine (issue 19): DuckDB as a supervised child process, JSON to XLSX with
        // libxlsxwriter. Foundation and the shim only, so `swift build --target DataEngine` is quick.
        .target(name: "DataEngine", dependencies: ["CXlsxWriter"]),
        // Terminals (issue 22): the pure cores (scrollback ring, session table, workspace paths, outbound
        // queue) and the process shell under forkpty. Foundation only; Services and HTTPAPI use it.
        .target(name: "Terminal"),
        // The assistant (issue 20): MiniLM embeddings computed here, on OpenBLAS; the document store
        // and its full-text index in SQLite (GRDB); a client of the Ollama API over NIO's HTTP/1.1
        // (a model server is plain HTTP on this machine or the LAN, so no TLS stack is built for it).
        .target(
            name: "Assistant",
            dependencies: [
                "COpenBLAS",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // A .docx is a ZIP archive; its text is in word/document.xml.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "Assistant",
                "DataEngine",
                "Terminal",
                "MeshNode",
                "Services",
                "Sodium",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ElohimCLI",
            dependencies: [
                "Assistant",
                "DataEngine",
                "MeshNode",
                "Services",
                "HTTPAPI",
                "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Tests: one target per module.
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "ReplicasTests", dependencies: ["Replicas"]),
        .testTarget(name: "MeshCoreTests", dependencies: ["MeshCore", "Replicas", "Wire", "Sodium"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation"]),
        .testTarget(name: "MeshNodeTests", dependencies: ["MeshNode", "MeshCore", "Replicas", "Sodium", "Wire", .product(name: "Logging", package: "swift-log"),
                                                    .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                                                    .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "ServicesTests", dependencies: ["Services", "MeshNode", "Sodium", "Replicas", "Wire", .product(name: "GRDB", package: "GRDB.swift"),
                                                    .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI",
                "Services",
                "Assistant",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ]
        ),
        .testTarget(name: "ElohimCLITests", dependencies: ["ElohimCLI", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "DataEngineTests", dependencies: ["DataEngine"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "AssistantTests", dependencies: ["Assistant"]),
    ]
)
