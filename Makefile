# Thin wrapper over CMake. Every target first installs missing Debian packages.
#   make demo   build (optimised) and run `fti demo`
#   make check  build with -Werror + ASan/UBSan and run every test
#   make bench  optimised build, run the benchmarks
#   make fuzz   build the libFuzzer harnesses (clang); not run by CI
JOBS ?= $(shell nproc)
BUILD_REL  = build/release
BUILD_SAN  = build/check
BUILD_FUZZ = build/fuzz

.PHONY: all deps release demo check bench fuzz clean
all: release

deps:
	@bash scripts/install-deps.sh

release: deps
	@cmake -S . -B $(BUILD_REL) -DCMAKE_BUILD_TYPE=Release -DFTI_NATIVE=ON >/dev/null
	@cmake --build $(BUILD_REL) -j $(JOBS)

demo: release
	@$(BUILD_REL)/fti demo

check: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFTI_WERROR=ON -DFTI_SANITIZE=ON -DFTI_VERIFY=ON >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: release
	@bash scripts/run-benches.sh $(BUILD_REL) $(BENCH)

fuzz: deps
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFTI_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	@echo "fuzzers built in $(BUILD_FUZZ): run e.g. $(BUILD_FUZZ)/fuzz_safetensors -max_total_time=60 fuzz/corpus/safetensors"

clean:
	rm -rf build
