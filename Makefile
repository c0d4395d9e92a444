# A thin wrapper around CMake and CTest; the README explains each target.
# `make run` and `make test` each work alone on a fresh Debian 12 machine (root, or sudo).

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
FUZZ_DIR ?= build-fuzz
# How long `make fuzz` runs each target.
FUZZ_SECONDS ?= 60
BUILD_TYPE ?= RelWithDebInfo
CONFIG ?= config/netsvcd.yaml
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages to build, test and format. libboost1.81-dev replaces libboost-dev (1.74)
# if that is installed: the two cannot be installed together, and apt says so when it happens.
DEPS := cmake make g++ git libboost1.81-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
        libcli11-dev nlohmann-json3-dev catch2 libbenchmark-dev clang-format curl wamerican \
        libsystemd-dev pkg-config systemd scdoc iproute2 util-linux prometheus-cpp-dev \
        liblua5.3-0 libopentracing-c-wrapper0 bash-completion rdate
# The real tools the tests drive, unpacked into $(TEST_TOOLS) rather than installed (installing
# them would start their services): promtool checks the metrics, HAProxy runs in front of two
# netsvcd (it needs liblua5.3-0 and libopentracing-c-wrapper0, in DEPS).
TEST_TOOL_PACKAGES := prometheus haproxy
TEST_TOOLS ?= $(BUILD_DIR)/test-tools
TEST_TOOLS_DIR = $(abspath $(TEST_TOOLS))
# Only for `make bench` and `make bench-smoke` (bench/run.py): the load generator for HTTP (wrk),
# the peers netsvcd is compared with (xinetd, nginx-light; openbsd-inetd conflicts with xinetd,
# so run.py fetches it with `apt-get download` into $(BENCH_PEERS) and runs it from there: it
# needs libwrap0), the charts (gnuplot-nox), the orchestrator (python3), util-linux for unshare
# (openbsd-inetd's internal daytime gets its own port through a private /etc/services).
BENCH_DEPS := wrk xinetd nginx-light gnuplot-nox libwrap0 python3 curl util-linux mount \
              iproute2
# Where run.py keeps the unpacked openbsd-inetd between runs.
BENCH_PEERS ?= $(BUILD_DIR)/bench-peers
# Where results.json, results.md and the charts go: bench/results for `make bench`,
# $(BUILD_DIR)/bench-smoke for `make bench-smoke`, unless BENCH_OUT names another directory.
BENCH_OUT ?=
# More options for run.py, e.g. BENCH_ARGS="--rounds 5 --duration 4" (python3 bench/run.py -h).
BENCH_ARGS ?=
# Only for `make fuzz`: clang 14 and its runtime libraries, libFuzzer's among them
# (libclang_rt.fuzzer-x86_64.a is in libclang-rt-14-dev on Debian 12).
FUZZ_DEPS := clang-14 libclang-rt-14-dev
# Only for `make test-browser`: Debian's Chromium, which tests/browser/page_test.mjs drives
# headless through puppeteer-core (from npm, at the version tests/browser/package-lock.json
# pins). npm comes with the machine's Node.js if it has one; otherwise Debian's npm package
# brings both (Debian's nodejs has no npm of its own).
BROWSER_DEPS := chromium
# Where the test's npm packages, screenshots and daemon log go.
BROWSER_OUT ?= $(BUILD_DIR)/browser-test
# Only for `make deb`, beside packaging/debian/control's Build-Depends.
DEB_TOOLS := dpkg-dev build-essential lintian

# `make deb` builds the Debian package into $(DIST_DIR): packaging/build-deb.sh says how. The
# version is CMakeLists.txt's unless DEB_VERSION names another, without a tracked file changing:
# `make deb DEB_VERSION=0.1.0+e2e1` builds a package that upgrades 0.1.0 (an upgrade test's).
DEB_VERSION ?=
DIST_DIR ?= dist

# `make e2e`: the package under a real systemd, in a Debian 12 guest booted with systemd-nspawn
# (tests/e2e/run.sh; the README's "End-to-end test"). What the host needs for it:
E2E_DEPS := debootstrap debian-archive-keyring systemd-container procps
# The guest's root (debootstrap) and the .debs its Depends come from, kept between runs; empty
# (make e2e E2E_CACHE=) builds everything afresh and keeps nothing.
E2E_CACHE ?= /var/tmp/netsvcd-e2e
# The upgrade goes from the package `make deb` built to the same tree at a higher version, built
# into $(E2E_DIST).
E2E_DIST ?= build-e2e
PROJECT_VERSION := $(shell sed -n 's/^project.netsvcd VERSION \([0-9][0-9.]*\) .*/\1/p' CMakeLists.txt)
E2E_VERSION = $(or $(DEB_VERSION),$(PROJECT_VERSION))
E2E_UPGRADE_VERSION ?= $(E2E_VERSION)+e2e1
DEB_ARCH = $(shell dpkg --print-architecture)

SOURCES = $(shell git ls-files '*.cpp' '*.hpp' 2>/dev/null)

.PHONY: all deps bench-deps deb-deps e2e-deps fuzz-deps install-missing configure build run \
        test test-tools browser-deps test-browser asan test-tsan fuzz soak bench bench-smoke \
        deb e2e e2e-upgrade-deb e2e-run check-format format clean

all: build

# Installs only what is missing, and says nothing when everything is there.
deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(DEPS)"

# Installing xinetd or nginx-light would start their system instances through the init scripts
# (invoke-rc.d) on a machine without systemd as PID 1: a policy-rc.d that exits 101 forbids that
# for the install, created only if there is none and removed afterwards, so nothing starts.
bench-deps: deps
	@missing=$$(for p in $(BENCH_DEPS); do \
	  dpkg-query -W -f='$${db:Status-Abbrev}\n' $$p 2>/dev/null | grep -q '^ii' || echo $$p; \
	done); \
	[ -z "$$missing" ] || { \
	  created=; \
	  trap '[ -z "$$created" ] || $(SUDO) rm -f /usr/sbin/policy-rc.d' EXIT; \
	  trap 'exit 130' INT TERM; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    created=1; \
	    printf '#!/bin/sh\n# make bench-deps: start no service while installing\nexit 101\n' \
	      | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null && $(SUDO) chmod 755 /usr/sbin/policy-rc.d; \
	  fi; \
	  $(MAKE) --no-print-directory install-missing PACKAGES="$(BENCH_DEPS)"; }

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
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	    -DNETSVCD_TEST_TOOLS="$(TEST_TOOLS_DIR)" >/dev/null

test-tools: deps
	@SUDO=$(SUDO) bash tests/tools/fetch.sh "$(TEST_TOOLS_DIR)" $(TEST_TOOL_PACKAGES)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/daemon/netsvcd --config $(CONFIG)

test: build test-tools
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

browser-deps: deps
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(BROWSER_DEPS)"
	@command -v npm >/dev/null || $(MAKE) --no-print-directory install-missing PACKAGES="npm"

# The word finder's web page in headless Chromium (tests/browser/): netsvcd on a free loopback
# port, a rack typed with a blank, the words, scores and sort checked, no console error, CSP
# violation or request elsewhere; screenshots in $(BROWSER_OUT). About a minute after the first
# install.
test-browser: build browser-deps
	tests/browser/run.sh "$(abspath $(BUILD_DIR))" "$(abspath $(BROWSER_OUT))"

# The whole suite again, daemon included, under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps test-tools
	@[ -f $(ASAN_DIR)/Makefile ] || \
	  cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug \
	    -DNETSVCD_SANITIZE=address,undefined -DNETSVCD_TEST_TOOLS="$(TEST_TOOLS_DIR)" >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

fuzz-deps: deps
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(FUZZ_DEPS)"

# The libFuzzer targets of tests/fuzz/, built with clang 14 in $(FUZZ_DIR) (the whole project
# instrumented, with ASan and UBSan), each run for $(FUZZ_SECONDS) s from a copy of its seeds
# (tests/fuzz/run.sh); fails on any crash, leak or sanitizer report.
FUZZ_TARGETS := config_loader_fuzzer http_request_fuzzer rack_fuzzer dictionary_fuzzer \
                proxy_header_fuzzer
fuzz: fuzz-deps
	@[ -f $(FUZZ_DIR)/Makefile ] || \
	  CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DNETSVCD_FUZZ=ON -DBUILD_TESTING=OFF -DNETSVCD_BENCH=OFF -DNETSVCD_MAN=OFF >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# The soak tests (tests/soak/): 5,000 slowloris clients beside hello's latency, SIGHUP every
# 100 ms for 30 s under connection churn, SIGTERM under load. About two minutes; not in `test`.
soak: build
	$(BUILD_DIR)/tests/netsvcd_tests "[soak]"

# The whole suite again, daemon included, under ThreadSanitizer. TSAN_OPTIONS reaches every
# daemon the integration tests start (a child inherits the environment, and the tests pass it
# on). A report ends its process at once (status 66), and goes to a file in $(TSAN_REPORTS)
# rather than to stderr: a daemon that a test kills at its end might otherwise take a report
# with it unseen, so any file there fails the run, after the suite, with its report shown. The
# directory is open to all: one test runs the daemon as nobody. No suppressions are needed.
TSAN_REPORTS = $(TSAN_DIR)/tsan-reports
TSAN_RUN_OPTIONS = halt_on_error=1 second_deadlock_stack=1 exitcode=66
test-tsan: deps test-tools
	@[ -f $(TSAN_DIR)/Makefile ] || \
	  cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DNETSVCD_SANITIZE=thread \
	    -DNETSVCD_TEST_TOOLS="$(TEST_TOOLS_DIR)" >/dev/null
	cmake --build $(TSAN_DIR) -j $(JOBS)
	@rm -rf "$(TSAN_REPORTS)" && mkdir -p -m 1777 "$(TSAN_REPORTS)"
	@reports=$$(cd "$(TSAN_REPORTS)" && pwd) || exit 1; \
	  export TSAN_OPTIONS="$(TSAN_RUN_OPTIONS) log_path='$$reports/report'"; \
	  echo "TSAN_OPTIONS=\"$$TSAN_OPTIONS\" ctest --test-dir $(TSAN_DIR) --output-on-failure -j $(JOBS)"; \
	  ctest --test-dir $(TSAN_DIR) --output-on-failure -j $(JOBS); status=$$?; \
	  if [ -n "$$(ls -A "$(TSAN_REPORTS)")" ]; then \
	    cat "$(TSAN_REPORTS)"/*; \
	    echo "make test-tsan: ThreadSanitizer reported the above (in $(TSAN_REPORTS))"; exit 1; \
	  fi; \
	  exit $$status

# The word finder's search against a naive scan (Google Benchmark), then netsvcd against its
# peers (bench/run.py: reference server, inetd, xinetd, systemd-socket-activate, nginx), 3
# rounds of every workload at 1, 64 and 1,024 clients (UDP daytime at 1 and 64), and hello and
# the word finder without and with a scraped metrics listener: about 15 minutes.
bench: build bench-deps
	$(BUILD_DIR)/bench/wordfinder_bench --benchmark_repetitions=3 \
	  --benchmark_report_aggregates_only=true
	python3 bench/run.py --build-dir $(BUILD_DIR) --peers-cache $(BENCH_PEERS) \
	  --out $(or $(BENCH_OUT),bench/results) $(BENCH_ARGS)

# The same peers and targets in a little over a minute: one round of 2 s runs, mostly at 64
# clients.
bench-smoke: build bench-deps
	python3 bench/run.py --smoke --build-dir $(BUILD_DIR) --peers-cache $(BENCH_PEERS) \
	  --out $(or $(BENCH_OUT),$(BUILD_DIR)/bench-smoke) $(BENCH_ARGS)

# The .deb (with a dbgsym .deb), .buildinfo and .changes in $(DIST_DIR); lintian must pass.
deb: deb-deps
	JOBS=$(JOBS) DIST_DIR=$(DIST_DIR) packaging/build-deb.sh $(DEB_VERSION)

e2e-deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(E2E_DEPS)"

# Builds both packages, then runs the test on them.
e2e: e2e-deps deb
	@$(MAKE) --no-print-directory e2e-upgrade-deb
	@$(MAKE) --no-print-directory e2e-run

e2e-upgrade-deb:
	$(MAKE) --no-print-directory deb DEB_VERSION=$(E2E_UPGRADE_VERSION) DIST_DIR=$(E2E_DIST)

# The test alone, on the two packages `make e2e` built.
e2e-run: e2e-deps
	$(SUDO) env E2E_CACHE="$(E2E_CACHE)" tests/e2e/run.sh \
	  $(DIST_DIR)/netsvcd_$(E2E_VERSION)_$(DEB_ARCH).deb \
	  $(E2E_DIST)/netsvcd_$(E2E_UPGRADE_VERSION)_$(DEB_ARCH).deb

check-format: deps
	@[ -n "$(SOURCES)" ] || { echo "check-format: no sources found (is this a git checkout?)"; exit 1; }
	clang-format --dry-run --Werror $(SOURCES)

format: deps
	@[ -n "$(SOURCES)" ] || { echo "format: no sources found (is this a git checkout?)"; exit 1; }
	clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR) build-deb $(E2E_DIST)
