#!/usr/bin/env bash
# The JDK and Maven for `make kotlin` (the Kotlin compiler, JNA and JUnit are pinned in
# bindings/uniffi/kotlin/pom.xml and fetched from Maven Central by Maven itself). Idempotent.
set -euo pipefail
missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
java -version 2>&1 | head -1
mvn -v 2>/dev/null | head -1
