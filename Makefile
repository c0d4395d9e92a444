# A thin wrapper around CMake and CTest; the README explains each target.
# `make run` and `make test` each work alone on a fresh Debian 12 machine (root, or sudo).

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/netsvcd.yaml
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages to build, test and format. libboost1.81-dev replaces libboost-dev (1.74)
# if that is installed: the two cannot be installed together, and apt says so when it happens.
DEPS := cmake make g++ git libboost1.81-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
        libcli11-dev nlohmann-json3-dev catch2 libbenchmark-dev clang-format curl wamerican \
        libsystemd-dev pkg-config systemd scdoc
# Only for `make bench`.
BENCH_DEPS := wrk curl

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all deps bench-deps install-missing configure build run test asan bench check-format format clean

all: build

# Installs only what is missing, and says nothing when everything is there.
deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(DEPS)"

bench-deps: deps
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(BENCH_DEPS)"

install-missing:
	@missing=$$(for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${db:Status-Abbrev}\n' $$p 2>/dev/null | grep -q '^ii' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    $$missing | grep -E '^(The following|  |Need to get|[0-9]+ upgraded)' || true; \
	fi

# Configures once; a configure that failed half-way (no Makefile yet) is tried again.
configure: deps
	@[ -f $(BUILD_DIR)/Makefile ] || \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/daemon/netsvcd --config $(CONFIG)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The whole suite again, daemon included, under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@[ -f $(ASAN_DIR)/Makefile ] || \
	  cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug \
	    -DNETSVCD_SANITIZE=address,undefined >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

# The word finder's search against a naive scan (Google Benchmark), then HTTP load with wrk.
bench: build bench-deps
	$(BUILD_DIR)/bench/wordfinder_bench --benchmark_repetitions=3 \
	  --benchmark_report_aggregates_only=true
	bench/wordfinder_http.sh $(BUILD_DIR)

check-format: deps
	@[ -n "$(SOURCES)" ] || { echo "check-format: no sources found (is this a git checkout?)"; exit 1; }
	clang-format --dry-run --Werror $(SOURCES)

format: deps
	@[ -n "$(SOURCES)" ] || { echo "format: no sources found (is this a git checkout?)"; exit 1; }
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
