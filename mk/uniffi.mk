# UniFFI bindings (bindings/uniffi): Kotlin built and tested on the JVM. Swift is generated
# only: there is no Swift compiler here, so the Swift tests never run and never count as passed.
# Generated sources go to build/uniffi/{kotlin,swift}; they are never committed.
UNIFFI_TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)/debug
UNIFFI_LIB := $(UNIFFI_TARGET_DIR)/libwablock_uniffi.so
UNIFFI_BINDGEN := $(UNIFFI_TARGET_DIR)/uniffi-bindgen
UNIFFI_OUT := $(BUILD)/uniffi
SWIFT_PKG := bindings/uniffi/swift
MVN ?= mvn
# -B: no colours or progress bars in CI logs; -q keeps the output to test results and errors.
MVN_FLAGS ?= -B -q

TEST_TARGETS += kotlin swift

.PHONY: uniffi-lib kotlin-bindings kotlin swift

uniffi-lib: ## build the UniFFI cdylib, its uniffi-bindgen and the sandbox (debug; the shared workspace build)
	$(CARGO_BUILD_ALL)

kotlin-bindings: uniffi-lib ## generate the Kotlin bindings into build/uniffi/kotlin (library mode)
	rm -rf $(UNIFFI_OUT)/kotlin
	$(UNIFFI_BINDGEN) generate --library $(UNIFFI_LIB) --language kotlin --no-format --out-dir $(UNIFFI_OUT)/kotlin

kotlin: kotlin-bindings ## generate, compile and test the Kotlin bindings on the JVM (Maven, JNA, JUnit 5)
	rm -rf $(BUILD)/conformance/kotlin
	cd bindings/uniffi/kotlin && $(MVN) $(MVN_FLAGS) test \
	  -Dwablock.root=$(ROOT) -Dwablock.target=$(UNIFFI_TARGET_DIR) \
	  -Dwablock.generated=$(UNIFFI_OUT)/kotlin -Dwablock.vectors=$(or $(WABLOCK_VECTORS),$(ROOT)/tests/conformance/vectors)
	@cat $(UNIFFI_OUT)/kotlin-maven/surefire-reports/TEST-*.xml | grep -o '<testsuite [^>]*' | \
	  sed -E 's/.*name="([^"]*)".*tests="([0-9]+)".*failures="([0-9]+)".*/  \1: \2 tests, \3 failures/' ; \
	  echo "kotlin: JUnit green; conformance results in build/conformance/kotlin"

swift: uniffi-lib ## generate the Swift bindings into build/uniffi/swift (generation only: the Swift tests are NOT run here)
	rm -rf $(UNIFFI_OUT)/swift
	$(UNIFFI_BINDGEN) generate --library $(UNIFFI_LIB) --language swift --no-format --out-dir $(UNIFFI_OUT)/swift
	@for f in Wablock.swift wablockFFI.h wablockFFI.modulemap; do \
	  test -s $(UNIFFI_OUT)/swift/$$f || { echo "swift: $$f was not generated" >&2; exit 1; }; \
	done
	@grep -q '^enum WablockError: Swift.Error' $(UNIFFI_OUT)/swift/Wablock.swift || { echo "swift: no WablockError enum" >&2; exit 1; }
	@# This library has the 24-hour window (feature `window`, for JVM servers), so these dev
	@# bindings do too; the XCFramework is built without it (scripts/build-xcframework.sh).
	@# The SwiftPM package in bindings/uniffi/swift compiles these copies (git-ignored there).
	mkdir -p $(SWIFT_PKG)/Sources/Wablock $(SWIFT_PKG)/Sources/wablockFFI/include
	cp $(UNIFFI_OUT)/swift/Wablock.swift $(SWIFT_PKG)/Sources/Wablock/Wablock.swift
	cp $(UNIFFI_OUT)/swift/wablockFFI.h $(SWIFT_PKG)/Sources/wablockFFI/include/wablockFFI.h
	cp $(UNIFFI_OUT)/swift/wablockFFI.modulemap $(SWIFT_PKG)/Sources/wablockFFI/include/module.modulemap
	@echo "swift: generated build/uniffi/swift/{Wablock.swift,wablockFFI.h,wablockFFI.modulemap}"
	@echo "swift: Swift tests NOT RUN (no Swift compiler here): 0 run, 0 passed; they count as not run, never as passing. To run them: docs/mobile.md"
