// swift-tools-version:5.9
// The Swift bindings of wablock as a SwiftPM package another package can depend on: the module
// `Wablock` (the generated Wablock.swift) over the binary target `wablockFFI`, an XCFramework
// holding the Rust static library and its C header for iOS, the iOS simulator and macOS.
// scripts/build-xcframework.sh builds it (macOS with Xcode); see docs/mobile.md. No unsafeFlags:
// SwiftPM refuses those in a dependency. Home: https://github.com/wablock/wablock (MIT OR Apache-2.0).
//
// WABLOCK_SWIFT_LOCAL=1 is for running the tests of this repository on Linux or macOS without
// an XCFramework: the header comes from Sources/wablockFFI (copied by `make swift`) and the
// library from the linker path given on the command line:
//   swift test -Xlinker -L../../../target/debug -Xlinker -rpath -Xlinker ../../../target/debug
import Foundation
import PackageDescription

// The release of wablock this package is (scripts/check-versions.sh keeps it equal to Cargo.toml).
let wablockVersion = "0.1.0"
// The SHA-256 of the release's wablockFFI.xcframework.zip (`swift package compute-checksum`,
// printed by scripts/build-xcframework.sh). Empty: use the XCFramework built in this directory.
let xcframeworkChecksum = ""

let local = ProcessInfo.processInfo.environment["WABLOCK_SWIFT_LOCAL"] == "1"

let ffi: Target
if local {
    ffi = .target(name: "wablockFFI", path: "Sources/wablockFFI", linkerSettings: [.linkedLibrary("wablock_uniffi")])
} else if xcframeworkChecksum.isEmpty {
    ffi = .binaryTarget(name: "wablockFFI", path: "wablockFFI.xcframework")
} else {
    ffi = .binaryTarget(
        name: "wablockFFI",
        url: "https://github.com/wablock/wablock/releases/download/v\(wablockVersion)/wablockFFI.xcframework.zip",
        checksum: xcframeworkChecksum
    )
}

let package = Package(
    name: "Wablock",
    platforms: [.iOS(.v13), .macOS(.v11)],
    products: [.library(name: "Wablock", targets: ["Wablock"])],
    targets: [
        ffi,
        .target(name: "Wablock", dependencies: ["wablockFFI"], path: "Sources/Wablock"),
        .testTarget(name: "WablockTests", dependencies: ["Wablock"], path: "Tests"),
    ]
)
