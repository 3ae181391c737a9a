// swift-tools-version: 6.2
// tokend — custody and revocation of FogBugz and Box session tokens.
//
// Dependencies point one way:  Control → Engine → (Store protocol, Providers) → Core.
// The backends (TokendSQLite, TokendPostgres) implement the TokendStore protocol; only the executables and
// tests import a backend. Nothing imports TokendControl.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "tokend",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tokend", targets: ["tokend"]),
        .executable(name: "tokenctl", targets: ["tokenctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Pure domain: states, transitions, policies, schedule arithmetic, config model. No I/O.
        .target(name: "TokendCore", swiftSettings: swiftSettings),

        // TOML → validated configuration (secrets resolved from files / $CREDENTIALS_DIRECTORY).
        .target(
            name: "TokendConfig",
            dependencies: ["TokendCore", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: swiftSettings
        ),

        // sqlite3_config before first use (variadic C: not callable from Swift).
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // mallopt (<malloc.h> is not in Swift's Glibc module).
        .target(name: "CMallocTuning"),

        // The audit hash chain, checkpoint signatures, the offline verifier and the export format. Pure: no I/O.
        .target(
            name: "TokendAudit",
            dependencies: ["TokendCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // The store protocol and its value types (records, filters, claims, jobs), sealing and the master key.
        .target(
            name: "TokendStore",
            dependencies: ["TokendCore", "TokendAudit", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // Embedded backend: SQLite (system libsqlite3 through GRDB), one writer process.
        .target(
            name: "TokendSQLite",
            dependencies: [
                "TokendCore", "TokendStore", "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The C API itself, for verify-audit's column reads (a million rows a second).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Cluster backend: PostgreSQL through postgres-nio, shared by N active-active instances.
        .target(
            name: "TokendPostgres",
            dependencies: [
                "TokendCore", "TokendStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // One request builder + one response classifier per provider API variant.
        .target(
            name: "TokendProviders",
            dependencies: [
                "TokendCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The scheduler: claims due work, per-account lanes, retries, breaker, hold.
        .target(
            name: "TokendEngine",
            dependencies: [
                "TokendCore", "TokendAudit", "TokendStore", "TokendProviders",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // sd_notify, LISTEN_FDS, watchdog, credentials, journald log format. Hand-written: no package does it.
        .target(
            name: "TokendSystemd",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // HTTP+JSON control API on the Unix socket, SO_PEERCRED identity, roles.
        .target(
            name: "TokendControl",
            dependencies: [
                "TokendCore", "TokendAudit", "TokendStore", "TokendEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // A socket client for tokenctl and tests; knows only the HTTP contract.
        .target(
            name: "TokendClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Fake FogBugz / Box servers on 127.0.0.1 that follow providers.md (tests and benchmarks).
        .target(
            name: "TokendFakeProviders",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "tokend",
            dependencies: [
                "CMallocTuning", "TokendCore", "TokendConfig", "TokendAudit", "TokendStore", "TokendSQLite", "TokendPostgres",
                "TokendProviders", "TokendEngine", "TokendSystemd", "TokendControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fake FogBugz/Box providers for local development (scripts/dev) and manual experiments.
        .executableTarget(
            name: "tokend-fake-providers",
            dependencies: ["TokendFakeProviders"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tokenctl",
            dependencies: [
                "TokendClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tokend-bench",
            dependencies: [
                "TokendCore", "TokendConfig", "TokendAudit", "TokendStore", "TokendSQLite", "TokendPostgres",
                "TokendProviders", "TokendEngine", "TokendClient", "TokendFakeProviders",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/tokend-bench",
            swiftSettings: swiftSettings
        ),

        // libFuzzer harness for the provider classifiers (docs/fuzzing.md, scripts/fuzz).
        .executableTarget(
            name: "tokend-fuzz",
            dependencies: ["TokendCore", "TokendProviders"],
            path: "Fuzz/tokend-fuzz",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "TokendCoreTests", dependencies: ["TokendCore"], swiftSettings: swiftSettings),
        .testTarget(name: "TokendAuditTests", dependencies: ["TokendAudit"], swiftSettings: swiftSettings),
        .testTarget(name: "TokendConfigTests", dependencies: ["TokendConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TokendStoreTests",
            dependencies: [
                "TokendStore", "TokendAudit", "TokendSQLite", "TokendPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokendProvidersTests",
            dependencies: ["TokendProviders", "TokendFakeProviders"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokendEngineTests",
            dependencies: [
                "TokendEngine", "TokendAudit", "TokendFakeProviders", "TokendSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TokendSystemdTests", dependencies: ["TokendSystemd"], swiftSettings: swiftSettings),
        .testTarget(name: "TokendClientTests", dependencies: ["TokendClient"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TokendControlTests",
            dependencies: [
                "TokendControl", "TokendClient", "TokendCore", "TokendAudit", "TokendStore", "TokendSQLite", "TokendEngine",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TokendClient", "TokendFakeProviders", "TokendStore", "TokendSQLite", "TokendPostgres", "TokendEngine",
                "TokendProviders", "TokendControl", "TokendAudit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
