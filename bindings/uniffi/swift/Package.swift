// swift-tools-version:5.9
// The Swift bindings of wablock as a SwiftPM package, for running the tests on a machine with
// Swift (macOS or Linux). `make swift` generates the sources into build/uniffi/swift and copies
// them into Sources/; build the Rust library first (`make swift` does, in target/debug).
// Home: https://github.com/wablock/wablock (MIT OR Apache-2.0).
import Foundation
import PackageDescription

// The workspace's target/debug, where libwablock_uniffi.{dylib,so,a} is built.
let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let libDir = ProcessInfo.processInfo.environment["WABLOCK_LIB_DIR"]
    ?? packageDir.appendingPathComponent("../../../target/debug").standardized.path

let package = Package(
    name: "Wablock",
    products: [.library(name: "Wablock", targets: ["Wablock"])],
    targets: [
        .target(name: "wablockFFI", path: "Sources/wablockFFI"),
        .target(
            name: "Wablock",
            dependencies: ["wablockFFI"],
            path: "Sources/Wablock",
            linkerSettings: [
                .linkedLibrary("wablock_uniffi"),
                .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
            ]
        ),
        .testTarget(name: "WablockTests", dependencies: ["Wablock"], path: "Tests"),
    ]
)
