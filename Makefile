# A thin wrapper around CMake and CTest; the README explains each target.
# `make run` and `make test` each work alone on a fresh Debian 12 machine (root, or sudo).

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/netsvcd.yaml
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages to build, test and format. libboost1.81-dev replaces libboost-dev (1.74)
# if that is installed: the two cannot be installed together.
DEPS := cmake make g++ pkg-config libboost1.81-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
        libcli11-dev catch2 clang-format

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all deps configure build run test asan check-format format clean

all: build

# Installs only what is missing, and says nothing when everything is there.
deps:
	@missing=$$(for p in $(DEPS); do \
	  dpkg-query -W -f='$${db:Status-Abbrev}\n' $$p 2>/dev/null | grep -q '^ii' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $$missing >/dev/null; \
	fi

configure: deps
	@[ -f $(BUILD_DIR)/CMakeCache.txt ] || \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/daemon/netsvcd --config $(CONFIG)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The whole suite again, daemon included, under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@[ -f $(ASAN_DIR)/CMakeCache.txt ] || \
	  cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug \
	    -DNETSVCD_SANITIZE=address,undefined >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

check-format: deps
	clang-format --dry-run --Werror $(SOURCES)

format: deps
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
