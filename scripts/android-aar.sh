#!/usr/bin/env bash
# Lays out the Android library (AAR) of wablock from pieces built elsewhere. NOT an Android
# build: no Android SDK or NDK can be fetched on this project's CI, so the .so files come from
# cargo-ndk on a machine that has the NDK (docs/mobile.md):
#
#   cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -t x86 -o build/jniLibs \
#     build --release --locked -p wablock-uniffi --lib
#   make kotlin-jar                                   # the compiled Kotlin bindings
#   scripts/android-aar.sh build/jniLibs build/uniffi/kotlin-jar/maven/wablock-0.1.0.jar build/wablock-0.1.0.aar
#
# JNILIBS is cargo-ndk's output: <abi>/libwablock_uniffi.so per ABI. CLASSES_JAR is the JVM jar
# of make kotlin-jar; its classes are plain Kotlin over JNA and run unchanged on Android, and its
# linux-*/ native libraries are dropped. The app depends on JNA's AAR
# (net.java.dev.jna:jna:<version>@aar), not the JVM jar, for JNA's own Android libraries.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 JNILIBS CLASSES_JAR OUT.aar" >&2; exit 2
fi
jnilibs=$1 classes=$2 out=$3
abis=(arm64-v8a armeabi-v7a x86_64 x86)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

found=0
for abi in "${abis[@]}"; do
  so="$jnilibs/$abi/libwablock_uniffi.so"
  [ -f "$so" ] || continue
  mkdir -p "$work/aar/jni/$abi"
  cp "$so" "$work/aar/jni/$abi/"
  found=$((found + 1))
done
[ "$found" -gt 0 ] || { echo "android-aar: no $jnilibs/<abi>/libwablock_uniffi.so for any of ${abis[*]}" >&2; exit 1; }
for dir in "$jnilibs"/*/; do
  abi=$(basename "$dir")
  [[ " ${abis[*]} " == *" $abi "* ]] || { echo "android-aar: unknown ABI directory $dir" >&2; exit 1; }
done

# classes.jar: the jar's classes without its desktop native libraries or Maven metadata.
mkdir -p "$work/classes"
(cd "$work/classes" && python3 -m zipfile -e "$(realpath "$classes")" .)
rm -rf "$work/classes"/linux-* "$work/classes"/darwin-* "$work/classes"/win32-* "$work/classes/META-INF/maven"
(cd "$work/classes" && python3 -m zipfile -c "$work/aar/classes.jar" *)

cat > "$work/aar/AndroidManifest.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="io.github.wablock">
    <uses-sdk android:minSdkVersion="21" />
    <uses-permission android:name="android.permission.INTERNET" />
</manifest>
XML
: > "$work/aar/R.txt"
# The pieces of an AAR (https://developer.android.com/studio/projects/android-library#aar-contents).
rm -f "$out"
(cd "$work/aar" && python3 -m zipfile -c "$(realpath -m "$out")" AndroidManifest.xml classes.jar R.txt jni)
echo "android-aar: $out ($found ABI$([ $found -eq 1 ] || echo s))"
