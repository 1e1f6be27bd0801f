#!/usr/bin/env bash
# One version everywhere: every place a release number is written must agree with the Cargo
# workspace's. Prints each place it read and exits 1 on the first disagreement it reports (all
# of them are reported). Go has no version in go.mod (a module in a subdirectory is versioned by
# the git tag bindings/go/vX.Y.Z), so the tag named in docs/go.md is checked instead.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(sed -nE '/^\[workspace\.package\]/,/^\[/ s/^version = "([^"]+)"/\1/p' Cargo.toml)
[ -n "$want" ] || { echo "check-versions: no version in [workspace.package] of Cargo.toml" >&2; exit 1; }
status=0
check() { # check WHERE FOUND
  if [ "$2" = "$want" ]; then printf '  %-64s %s\n' "$1" "$2"
  else printf '  %-64s %s   <-- differs from Cargo.toml (%s)\n' "$1" "${2:-<none>}" "$want"; status=1; fi
}
echo "check-versions: Cargo workspace version $want"

# Every Cargo package of the workspace (version.workspace = true or a literal).
while read -r name version; do check "Cargo package $name" "$version"; done < <(
  cargo metadata --no-deps --format-version 1 --offline --locked |
    python3 -c 'import json,sys; [print(p["name"], p["version"]) for p in json.load(sys.stdin)["packages"]]')
check "Cargo.toml [workspace.dependencies] wablock" \
  "$(sed -nE 's/^wablock = \{.*version = "([^"]+)".*/\1/p' Cargo.toml)"

# Python: maturin takes the version from python/Cargo.toml unless pyproject.toml pins one.
if grep -qE '^dynamic = \[.*"version"' python/pyproject.toml; then
  check "python/pyproject.toml (dynamic: python/Cargo.toml)" \
    "$(cargo metadata --no-deps --format-version 1 --offline --locked |
       python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="wablock-python"))')"
else
  check "python/pyproject.toml [project] version" "$(sed -nE 's/^version = "([^"]+)"/\1/p' python/pyproject.toml)"
fi

# Kotlin: the project's own <version>, and the one the consumer check depends on.
check "bindings/uniffi/kotlin/pom.xml <version>" \
  "$(python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(r.find("{http://maven.apache.org/POM/4.0.0}version").text)' bindings/uniffi/kotlin/pom.xml)"

check "bindings/uniffi/kotlin/consumer-check/pom.xml wablock.version" \
  "$(sed -nE 's|.*<wablock.version>([^<]+)</wablock.version>.*|\1|p' bindings/uniffi/kotlin/consumer-check/pom.xml)"

# C header: the string and the numeric macros.
h=include/wablock.h
check "include/wablock.h WABLOCK_VERSION" "$(sed -nE 's/^#define WABLOCK_VERSION "([^"]+)"/\1/p' $h)"
check "include/wablock.h WABLOCK_VERSION_MAJOR.MINOR.PATCH" "$(
  for part in MAJOR MINOR PATCH; do sed -nE "s/^#define WABLOCK_VERSION_$part ([0-9]+)/\1/p" $h; done | paste -sd.)"

# Swift: the version Package.swift downloads the XCFramework of.
check "bindings/uniffi/swift/Package.swift wablockVersion" \
  "$(sed -nE 's/^let wablockVersion = "([^"]+)"/\1/p' bindings/uniffi/swift/Package.swift)"

# Go: the tag a release of the module in bindings/go is published under.
check "docs/go.md go get tag (bindings/go/vX.Y.Z)" \
  "$(sed -nE 's|.*`bindings/go/v([0-9]+\.[0-9]+\.[0-9]+)`.*|\1|p' docs/go.md | head -n1)"
check "docs/go.md go get @vX.Y.Z" \
  "$(sed -nE 's|.*go get github.com/wablock/wablock/bindings/go@v([0-9.]+).*|\1|p' docs/go.md | head -n1)"

# The newest CHANGELOG.md heading, when there is a changelog.
if [ -f CHANGELOG.md ]; then
  check "CHANGELOG.md newest heading" "$(sed -nE 's/^## \[?v?([0-9]+\.[0-9]+\.[0-9]+)\]?.*/\1/p' CHANGELOG.md | head -n1)"
fi

if [ $status -ne 0 ]; then echo "check-versions: versions differ (bump them together)" >&2; exit 1; fi
echo "check-versions: every place says $want"
