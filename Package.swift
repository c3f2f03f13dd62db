// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "stageload",
  targets: [
    .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
    .target(name: "CLinux"),
    .target(name: "CScan"),

    .target(name: "StageKit", dependencies: ["CCrypto", "CLinux"]),
    .target(name: "Datasets"),
    .target(name: "Fetching", dependencies: ["StageKit"]),
    .target(name: "Inflating", dependencies: ["StageKit", "CZlib"]),
    .target(name: "Splitting", dependencies: ["StageKit", "Datasets", "CScan"]),
    .target(name: "Loading", dependencies: ["StageKit", "Datasets", "CLibPQ", "CLinux"]),

    .executableTarget(name: "fetch", dependencies: ["StageKit", "Fetching"]),
    .executableTarget(name: "inflate", dependencies: ["StageKit", "Inflating"]),
    .executableTarget(name: "split", dependencies: ["StageKit", "Datasets", "Splitting"]),
    .executableTarget(name: "load", dependencies: ["StageKit", "Datasets", "Loading"]),

    .testTarget(name: "StageKitTests", dependencies: ["StageKit"]),
    .testTarget(name: "SplittingTests", dependencies: ["Splitting", "Datasets", "CScan"]),
    .testTarget(name: "LoadingTests", dependencies: ["Loading", "StageKit", "Datasets"]),
    .testTarget(name: "InflatingTests", dependencies: ["Inflating", "StageKit", "CZlib"]),
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "FetchingTests", dependencies: ["Fetching", "StageKit", "TestSupport"]),
    .testTarget(name: "EndToEndTests", dependencies: ["StageKit", "TestSupport"]),
  ]
)
