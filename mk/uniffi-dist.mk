# The Kotlin jar another JVM project can depend on: the generated bindings compiled, plus the
# stripped release libwablock_uniffi.so at <jna-platform>/ inside the jar, where JNA's classpath
# lookup finds it, so an app needs only this jar, JNA and the Kotlin stdlib. Installed into the
# local Maven repository as io.github.wablock:wablock (docs/mobile.md). Android: scripts/android-aar.sh.
KOTLIN_JAR_OUT := $(BUILD)/uniffi/kotlin-jar
KOTLIN_JAR_RES := $(KOTLIN_JAR_OUT)/resources
# release for a jar to ship. The checks in make test pack the debug library `make kotlin`
# already built (KOTLIN_CHECK_PROFILE, below): a release build of this crate costs minutes of
# CI, and what they test (packaging, coordinates, loading from the jar) is the same.
KOTLIN_JAR_PROFILE ?= release
UNIFFI_JAR_LIB = $(or $(CARGO_TARGET_DIR),$(ROOT)/target)/$(KOTLIN_JAR_PROFILE)/libwablock_uniffi.so
# JNA's name for this platform (com.sun.jna.Platform.RESOURCE_PREFIX).
KOTLIN_JNA_PLATFORM := linux-$(subst x86_64,x86-64,$(shell uname -m))
KOTLIN_JAR := $(KOTLIN_JAR_OUT)/maven/wablock-$(INSTALL_VERSION).jar
KOTLIN_CONSUMER_OUT := $(BUILD)/uniffi/consumer-check

.PHONY: kotlin-jar kotlin-consumer-check android-aar-check swift-package-check

# The profile of the jar the checks build (kotlin-jar inherits it when built for them).
KOTLIN_CHECK_PROFILE ?= debug
kotlin-consumer-check android-aar-check: KOTLIN_JAR_PROFILE = $(KOTLIN_CHECK_PROFILE)

kotlin-jar: uniffi-lib ## the Kotlin jar with the native library inside; mvn install as io.github.wablock:wablock
	$(CARGO) build $(if $(filter release,$(KOTLIN_JAR_PROFILE)),--release) --locked -p wablock-uniffi --lib
	rm -rf $(KOTLIN_JAR_OUT) && mkdir -p $(KOTLIN_JAR_RES)/$(KOTLIN_JNA_PLATFORM)
	@# The bindgen is the debug one uniffi-lib built; it reads the metadata out of the library.
	$(UNIFFI_BINDGEN) generate --library $(UNIFFI_JAR_LIB) --language kotlin --no-format --out-dir $(KOTLIN_JAR_OUT)/kotlin
	strip --strip-all -o $(KOTLIN_JAR_RES)/$(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so $(UNIFFI_JAR_LIB)
	cd bindings/uniffi/kotlin && $(MVN) $(MVN_FLAGS) install -Dmaven.test.skip=true \
	  -Dwablock.root=$(ROOT) -Dwablock.generated=$(KOTLIN_JAR_OUT)/kotlin \
	  -Dwablock.resources=$(KOTLIN_JAR_RES) -Dwablock.out=$(KOTLIN_JAR_OUT)/maven
	@jar tf $(KOTLIN_JAR) | grep -qx '$(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so' || \
	  { echo "kotlin-jar: $(KOTLIN_JAR) does not carry $(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so"; exit 1; }
	@ls -l $(KOTLIN_JAR) | awk '{printf "kotlin-jar: %s (%.1f MB), installed as io.github.wablock:wablock:$(INSTALL_VERSION) ($(KOTLIN_JAR_PROFILE) library)\n", $$9, $$5/1048576}'

# bindings/uniffi/kotlin/consumer-check, copied out of the checkout, resolves the jar by its
# coordinates from the local repository, is built, and runs with plain `java -cp` over the
# classpath Maven resolved: no -Djna.library.path, no LD_LIBRARY_PATH.
# The path JNA reports must be its extraction of the jar's library, not a file in the checkout.
define KOTLIN_LIB_FROM_JAR
lib=$$(sed -n 's/^native library //p' <<<"$$out"); \
	case "$$lib" in "" | $(ROOT)/*) echo "kotlin-consumer-check: native library not loaded from the jar: '$$lib'"; exit 1;; esac
endef

kotlin-consumer-check: kotlin-jar ## build + run a separate Maven project that depends on io.github.wablock:wablock
	$(CARGO) build --locked -p wablock-sandbox
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	cp -r bindings/uniffi/kotlin/consumer-check/. "$$dir/"; \
	(cd "$$dir" && $(MVN) $(MVN_FLAGS) package); \
	rm -rf $(KOTLIN_CONSUMER_OUT) && mkdir -p $(KOTLIN_CONSUMER_OUT); \
	cp -r "$$dir/target/classes" $(KOTLIN_CONSUMER_OUT)/classes; \
	cp "$$dir/target/classpath.txt" $(KOTLIN_CONSUMER_OUT)/classpath.txt
	@grep -q 'io/github/wablock/wablock/$(INSTALL_VERSION)/wablock-$(INSTALL_VERSION).jar' $(KOTLIN_CONSUMER_OUT)/classpath.txt || \
	  { echo "kotlin-consumer-check: the classpath does not hold the installed wablock jar"; exit 1; }
	$(call C_RUN_EXAMPLE,env -u LD_LIBRARY_PATH -u JAVA_TOOL_OPTIONS java -cp $(KOTLIN_CONSUMER_OUT)/classes:$$(cat $(KOTLIN_CONSUMER_OUT)/classpath.txt) MainKt,$(KOTLIN_LIB_FROM_JAR))
	@echo "kotlin-consumer-check: a separate Maven project ran on io.github.wablock:wablock:$(INSTALL_VERSION) with the native library from the jar"

# No Android toolchain here: the script's layout is checked with this machine's library standing
# in for the x86_64 ABI (an ELF .so that would not load on Android; only the packaging is tested).
android-aar-check: kotlin-jar ## scripts/android-aar.sh on stand-in .so files: the AAR layout only (no Android build here)
	@set -euo pipefail; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	mkdir -p "$$dir/jniLibs/x86_64"; \
	cp $(KOTLIN_JAR_RES)/$(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so "$$dir/jniLibs/x86_64/"; \
	scripts/android-aar.sh "$$dir/jniLibs" $(KOTLIN_JAR) "$$dir/wablock.aar"; \
	entries=$$(python3 -m zipfile -l "$$dir/wablock.aar" | awk 'NR > 1 && $$1 !~ /\/$$/ {print $$1}' | sort | tr '\n' ' '); \
	[ "$$entries" = "AndroidManifest.xml R.txt classes.jar jni/x86_64/libwablock_uniffi.so " ] || \
	  { echo "android-aar-check: unexpected AAR entries: $$entries"; exit 1; }; \
	cd "$$dir" && python3 -m zipfile -e wablock.aar aar; \
	classes=$$(python3 -m zipfile -l aar/classes.jar | awk 'NR > 1 {print $$1}'); \
	grep -q '^wablock/Client.class$$' <<<"$$classes" || { echo "android-aar-check: classes.jar has no wablock/Client.class"; exit 1; }; \
	if grep -q '^linux-' <<<"$$classes"; then echo "android-aar-check: classes.jar still carries a desktop library"; exit 1; fi
	@echo "android-aar-check: AAR layout ok (stand-in library; nothing Android was built or run)"

# Nothing Swift can run here (no toolchain, no macOS): the manifest is checked as text.
swift-package-check: ## Package.swift has no unsafeFlags and a binaryTarget; build-xcframework.sh parses (no Swift run here)
	@if grep -vE '^[[:space:]]*//' bindings/uniffi/swift/Package.swift | grep -n 'unsafeFlags'; then \
	  echo "swift-package-check: Package.swift uses unsafeFlags, which SwiftPM refuses in a dependency"; exit 1; fi
	@grep -q '\.binaryTarget(name: "wablockFFI", path: "wablockFFI.xcframework")' bindings/uniffi/swift/Package.swift || \
	  { echo "swift-package-check: Package.swift has no wablockFFI binary target"; exit 1; }
	bash -n scripts/build-xcframework.sh
	@echo "swift-package-check: Package.swift text ok (not compiled: no Swift here)"

TEST_TARGETS += kotlin-consumer-check android-aar-check swift-package-check
