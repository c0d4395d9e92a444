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
# Only for `make deb`, beside packaging/debian/control's Build-Depends.
DEB_TOOLS := dpkg-dev build-essential lintian

# `make deb` builds the Debian package into $(DIST_DIR): packaging/build-deb.sh says how. The
# version is CMakeLists.txt's unless DEB_VERSION names another, without a tracked file changing:
# `make deb DEB_VERSION=0.1.0+e2e1` builds a package that upgrades 0.1.0 (an upgrade test's).
DEB_VERSION ?=
DIST_DIR ?= dist

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all deps bench-deps deb-deps install-missing configure build run test asan bench deb \
        check-format format clean

all: build

# Installs only what is missing, and says nothing when everything is there.
deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(DEPS)"

bench-deps: deps
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(BENCH_DEPS)"

# The package's Build-Depends, straight from packaging/debian/control: apt-get satisfy takes the
# field as it is (versions, alternatives, build profiles), so the list is kept in one place.
deb-deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(DEB_TOOLS)"
	@dpkg-checkbuilddeps packaging/debian/control 2>/dev/null || { \
	  echo "make deb-deps: installing the Build-Depends of packaging/debian/control"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get satisfy -y -q --no-install-recommends \
	    "$$(perl -MDpkg::Control::Info -e \
	      'print Dpkg::Control::Info->new($$ARGV[0])->get_source->{"Build-Depends"}' \
	      packaging/debian/control)" | grep -E '^(The following|  |Need to get|[0-9]+ upgraded)' \
	    || true; \
	  dpkg-checkbuilddeps packaging/debian/control; }

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

# The .deb (with a dbgsym .deb), .buildinfo and .changes in $(DIST_DIR); lintian must pass.
deb: deb-deps
	JOBS=$(JOBS) DIST_DIR=$(DIST_DIR) packaging/build-deb.sh $(DEB_VERSION)

check-format: deps
	@[ -n "$(SOURCES)" ] || { echo "check-format: no sources found (is this a git checkout?)"; exit 1; }
	clang-format --dry-run --Werror $(SOURCES)

format: deps
	@[ -n "$(SOURCES)" ] || { echo "format: no sources found (is this a git checkout?)"; exit 1; }
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) build-deb
