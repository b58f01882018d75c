# SPDX-License-Identifier: Apache-2.0
# User-facing targets. The build itself is CMake's; this file only names the jobs.
#
#   make run     install what is missing, build, run the example system
#   make orbit   an example Orbit on 127.0.0.1 to look at in a browser, until interrupted
#   make test    install what is missing, build with ASan+UBSan, run every test
#   make fuzz    run each fuzz target for FUZZ_SECONDS (default 60)
#   make bench   run the benchmarks against their peers
#   make install install into PREFIX (default /usr/local)

PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)

BUILD := build
TEST_BUILD := build-test
FUZZ_BUILD := build-fuzz

.PHONY: all deps build run orbit test fuzz bench install clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build
	examples/run.sh $(BUILD)

# ORBIT_PORT picks the port (default 8080).
orbit: build
	examples/orbit-ui.sh $(BUILD)

# The test build is clang with sanitizers; building the default (gcc) tree first keeps the
# build that `make run` uses warning-free too.
test: build
	CC=clang cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKOS_SANITIZE=ON -DKOS_FUZZ=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKOS_SANITIZE=ON -DKOS_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	fuzz/run-all.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	bench/run-all.sh $(BUILD)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)
