#!/usr/bin/env bash
# Builds bindings/uniffi/swift/wablockFFI.xcframework (the binary target of Package.swift) and
# the Swift sources, on macOS with Xcode 15+ and rustup. NOT RUN in this repository's CI: it
# needs xcodebuild, lipo and Apple SDKs, which exist only on macOS (docs/mobile.md).
#
#   scripts/build-xcframework.sh            # XCFramework + Sources/Wablock/Wablock.swift
#   scripts/build-xcframework.sh --zip      # also the release zip and its SwiftPM checksum
#
# Slices: iOS devices (arm64), the iOS simulator (arm64 + x86_64) and macOS (arm64 + x86_64),
# each the release static library libwablock_uniffi.a with the generated header and module map.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework: needs macOS with Xcode (xcodebuild, lipo)" >&2; exit 1; }
for tool in xcodebuild lipo cargo rustup; do
  command -v "$tool" >/dev/null || { echo "build-xcframework: $tool not found" >&2; exit 1; }
done

pkg=bindings/uniffi/swift
out=build/xcframework
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=11.0   # as Package.swift's platforms
# --no-default-features: without the 24-hour window (feature `window`, for JVM servers that
# receive webhooks), so no SQLite or PostgreSQL client in the app; Swift never exposes it.
for t in "${targets[@]}"; do
  cargo build --release --locked -p wablock-uniffi --no-default-features --lib --target "$t"
done
lib() { echo "target/$1/release/libwablock_uniffi.a"; }

rm -rf "$out" "$pkg/wablockFFI.xcframework"
mkdir -p "$out/headers" "$out/ios-sim" "$out/macos"
# One generation for every slice, from the host's release dylib (same UniFFI metadata).
cargo build --release --locked -p wablock-uniffi --no-default-features --lib
cargo build --locked -p wablock-uniffi --bin uniffi-bindgen
target/debug/uniffi-bindgen generate --library target/release/libwablock_uniffi.dylib \
  --language swift --out-dir "$out/swift"
cp "$out/swift/wablockFFI.h" "$out/headers/"
# Inside an XCFramework the module map must be called module.modulemap.
cp "$out/swift/wablockFFI.modulemap" "$out/headers/module.modulemap"

lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$out/ios-sim/libwablock_uniffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$out/macos/libwablock_uniffi.a"
xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$out/headers" \
  -library "$out/ios-sim/libwablock_uniffi.a" -headers "$out/headers" \
  -library "$out/macos/libwablock_uniffi.a" -headers "$out/headers" \
  -output "$pkg/wablockFFI.xcframework"

mkdir -p "$pkg/Sources/Wablock"
cp "$out/swift/Wablock.swift" "$pkg/Sources/Wablock/Wablock.swift"
echo "build-xcframework: $pkg/wablockFFI.xcframework and $pkg/Sources/Wablock/Wablock.swift"

if [ "${1:-}" = --zip ]; then
  version=$(sed -nE '/^\[workspace\.package\]/,/^\[/ s/^version = "([^"]+)"/\1/p' Cargo.toml)
  (cd "$pkg" && rm -f wablockFFI.xcframework.zip && zip -qry wablockFFI.xcframework.zip wablockFFI.xcframework)
  sum=$(cd "$pkg" && swift package compute-checksum wablockFFI.xcframework.zip)
  echo "build-xcframework: upload $pkg/wablockFFI.xcframework.zip to the v$version release and set"
  echo "  let xcframeworkChecksum = \"$sum\"   in $pkg/Package.swift"
fi
