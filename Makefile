# kizuki - the user's interface to the build. See README.md.
#   make          build build/kizuki (release with debug info)
#   make demo     install deps, build, run kizuki on the bundled examples/, then on
#                 each breach of examples/scenarios/, then investigate MK System
#   make test     install deps, build (plain and ASan+UBSan), run ctest
#   make bench    benchmarks (bench/README.md); not part of the tests
#   make fuzz     build the libFuzzer targets and run each for FUZZ_SECONDS

JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DKZ_WERROR=ON
endif

.PHONY: all deps test-deps demo test test-fast bench fuzz clean format check-banned

all: $(BUILD)/kizuki

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

$(BUILD)/kizuki: deps $(BUILD)/Makefile FORCE
	cmake --build $(BUILD) -j $(JOBS)

FORCE:

deps:
	@scripts/deps.sh
	@scripts/web-deps.sh $(BUILD)/web

test-deps:
	@scripts/deps.sh --test
	@scripts/browser-deps.sh $(BUILD)/web-test

demo: deps $(BUILD)/kizuki
	@scripts/demo.sh $(BUILD)/kizuki
	@examples/scenarios/demo.sh $(BUILD)/kizuki
	@echo "== kizuki investigate examples/scenarios/mksystem/evtx   (the incident report)"
	@rm -rf $(BUILD)/demo/investigate
	@$(BUILD)/kizuki investigate --no-progress -o $(BUILD)/demo/investigate examples/scenarios/mksystem/evtx 2>&1 | grep '^investigate:' || true
	@echo "   beside report.html: report.md, report.json, timeline.csv, impact_files.csv, graph.json, graph.graphml, attack-navigator.json, manifest.json"

$(ASAN_BUILD)/Makefile: CMakeLists.txt
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DKZ_ASAN=ON -DKZ_UBSAN=ON $(CMAKE_FLAGS)

test: test-deps check-banned $(BUILD)/kizuki $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|conformance|scenario|differential|tools'
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L 'unit|conformance'

# Unit tests only, plain build: the quick loop while editing.
test-fast: $(BUILD)/kizuki
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

bench: test-deps $(BUILD)/kizuki
	bench/run.sh $(BUILD)/kizuki

fuzz: test-deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DKZ_FUZZ=ON -DKZ_ASAN=ON -DKZ_UBSAN=ON -DKZ_TESTS=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

check-banned:
	@scripts/check-banned.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'fuzz/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
