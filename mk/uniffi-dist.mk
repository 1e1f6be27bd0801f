# The Kotlin jar another JVM project can depend on: the generated bindings compiled, plus the
# stripped release libwablock_uniffi.so at <jna-platform>/ inside the jar, where JNA's classpath
# lookup finds it, so an app needs only this jar, JNA and the Kotlin stdlib. Installed into the
# local Maven repository as io.github.wablock:wablock (docs/mobile.md). Android: scripts/android-aar.sh.
KOTLIN_JAR_OUT := $(BUILD)/uniffi/kotlin-jar
KOTLIN_JAR_RES := $(KOTLIN_JAR_OUT)/resources
UNIFFI_RELEASE_LIB := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)/release/libwablock_uniffi.so
# JNA's name for this platform (com.sun.jna.Platform.RESOURCE_PREFIX).
KOTLIN_JNA_PLATFORM := linux-$(subst x86_64,x86-64,$(shell uname -m))
KOTLIN_JAR := $(KOTLIN_JAR_OUT)/maven/wablock-$(INSTALL_VERSION).jar
KOTLIN_CONSUMER_OUT := $(BUILD)/uniffi/consumer-check

.PHONY: kotlin-jar kotlin-consumer-check

kotlin-jar: uniffi-lib ## the Kotlin jar with the native library inside; mvn install as io.github.wablock:wablock
	$(CARGO) build --release --locked -p wablock-uniffi --lib
	rm -rf $(KOTLIN_JAR_OUT) && mkdir -p $(KOTLIN_JAR_RES)/$(KOTLIN_JNA_PLATFORM)
	@# The bindgen is the debug one uniffi-lib built; it reads the metadata out of the release library.
	$(UNIFFI_BINDGEN) generate --library $(UNIFFI_RELEASE_LIB) --language kotlin --no-format --out-dir $(KOTLIN_JAR_OUT)/kotlin
	strip --strip-all -o $(KOTLIN_JAR_RES)/$(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so $(UNIFFI_RELEASE_LIB)
	cd bindings/uniffi/kotlin && $(MVN) $(MVN_FLAGS) install -Dmaven.test.skip=true \
	  -Dwablock.root=$(ROOT) -Dwablock.generated=$(KOTLIN_JAR_OUT)/kotlin \
	  -Dwablock.resources=$(KOTLIN_JAR_RES) -Dwablock.out=$(KOTLIN_JAR_OUT)/maven
	@jar tf $(KOTLIN_JAR) | grep -qx '$(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so' || \
	  { echo "kotlin-jar: $(KOTLIN_JAR) does not carry $(KOTLIN_JNA_PLATFORM)/libwablock_uniffi.so"; exit 1; }
	@ls -l $(KOTLIN_JAR) | awk '{printf "kotlin-jar: %s (%.1f MB), installed as io.github.wablock:wablock:$(INSTALL_VERSION)\n", $$9, $$5/1048576}'

# bindings/uniffi/kotlin/consumer-check, copied out of the checkout, resolves the jar by its
# coordinates from the local repository, is built, and runs with plain `java -cp` over the
# classpath Maven resolved: no -Djna.library.path, no LD_LIBRARY_PATH.
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
	$(call C_RUN_EXAMPLE,env -u LD_LIBRARY_PATH -u JAVA_TOOL_OPTIONS java -cp $(KOTLIN_CONSUMER_OUT)/classes:$$(cat $(KOTLIN_CONSUMER_OUT)/classpath.txt) MainKt,\
	  lib=$$(sed -n 's/^native library //p' <<<"$$out"); \
	  case "$$lib" in "" | $(ROOT)/*) echo "kotlin-consumer-check: native library not loaded from the jar: '$$lib'"; exit 1;; esac)
	@echo "kotlin-consumer-check: a separate Maven project ran on io.github.wablock:wablock:$(INSTALL_VERSION) with the native library from the jar"

TEST_TARGETS += kotlin-consumer-check
