#!/usr/bin/env bash
# The JDK and Maven for `make kotlin` (the Kotlin compiler, JNA and JUnit are pinned in
# bindings/uniffi/kotlin/pom.xml and fetched from Maven Central by Maven itself).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_need_command javac openjdk-17-jdk-headless
apt_need_command mvn maven
collect_only
java -version 2>&1 | sed -n 1p
mvn -v 2>/dev/null | sed -n 1p
