#!/usr/bin/env bash
# End-to-end test of netsvcd's Debian package under a real systemd (`make e2e` runs it; the
# README's "End-to-end test" says what it checks).
#
#   tests/e2e/run.sh PACKAGE.deb UPGRADE.deb          (as root)
#
# A Debian 12 root made by debootstrap (minbase, systemd, systemd-sysv, dbus, procps and the
# test's client tools) is booted with `systemd-nspawn --boot` on a throwaway overlay, so that the
# guest's PID 1 is systemd 252. Before the boot the packages' Depends are installed into the
# overlay from Debian's archive (chroot, apt-get satisfy); inside the booted guest, which has no
# network but loopback, PACKAGE.deb is installed with apt-get, offline, so that its maintainer
# scripts run under the real systemd. The checks follow; UPGRADE.deb (a higher version) is
# installed over PACKAGE.deb while a client loops. Each step prints what it did and PASS or FAIL;
# the first failure prints the guest's journal tail and exits 1.
#
# Environment:
#   E2E_CACHE   a folder that keeps the debootstrap root and the downloaded .debs between runs
#               (made if missing); empty: build everything in the run's folder and delete it.
#   E2E_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
#   E2E_KEEP=1  keep the run's folder (overlay, journal, client logs) and print its path
#
# The host is changed only under E2E_CACHE and the run's folder in /var/tmp, plus two cgroups
# (/sys/fs/cgroup/.../netsvcd-e2e-PID) that nspawn needs here; the trap removes them, halts the
# guest and unmounts the overlay whatever happens.

# '${Status}' and the like are dpkg-query's formats, not the shell's; `[ ] && [ ] || fail` is meant.
# shellcheck disable=SC2016,SC2015
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

[ $# = 2 ] || { echo "usage: $0 PACKAGE.deb UPGRADE.deb" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "$0: needs root (mounts, systemd-nspawn)" >&2; exit 2; }
deb1=$(realpath "$1")
deb2=$(realpath "$2")
for f in "$deb1" "$deb2"; do [ -f "$f" ] || { echo "$0: no package $f" >&2; exit 2; }; done
for tool in debootstrap systemd-nspawn nsenter chroot pgrep; do
  command -v $tool >/dev/null || { echo "$0: $tool is missing (make e2e installs it)" >&2; exit 2; }
done

E2E_CACHE=${E2E_CACHE-/var/tmp/netsvcd-e2e}
MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# What the root holds besides minbase: systemd as PID 1, and the test's tools in the guest
# (curl for the word finder, iproute2 for ss; the clients are bash).
ROOT_PACKAGES=systemd,systemd-sysv,dbus,procps,curl,iproute2

v1=$(dpkg-deb -f "$deb1" Version)
v2=$(dpkg-deb -f "$deb2" Version)
dpkg --compare-versions "$v2" gt "$v1" || { echo "$0: $v2 does not upgrade $v1" >&2; exit 2; }

# The exposure the README states for the running service.
readme_exposure=$(sed -n 's/.*`systemd-analyze security --offline=yes systemd\/netsvcd.service` reports an exposure of \*\*\([0-9.]*\)\*\*.*/\1/p' "$top/README.md" | head -1)
[ -n "$readme_exposure" ] || { echo "$0: README.md no longer states the exposure (\"reports an exposure of **N**\")" >&2; exit 2; }

run=$(mktemp -d /var/tmp/netsvcd-e2e-run.XXXXXX)
M=$run/merged
name=netsvcd-e2e-$$
cgroups=()
nspawn_pid=
leader=
loop_pids=()
t_start=$SECONDS

# ------------------------------------------------------------------------------- reporting
step_no=0
step() {
  step_no=$((step_no + 1))
  step_t0=$(date +%s.%N)
  printf '\n[%2d] %s\n' "$step_no" "$*"
}
info() { printf '       %s\n' "$@"; }
pass() { printf '     PASS %s (%s s)\n' "$*" "$(awk -v a="$step_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"; }
# An extended regex that matches the string $1 literally.
re_quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }
fail() {
  printf '     FAIL %s\n' "$*"
  printf '\n--- the guest journal, last 60 lines:\n'
  # From inside while the guest runs (journald syncs first); from the overlay otherwise.
  if [ -n "$leader" ] && G_TIMEOUT=10 g journalctl --sync 2>/dev/null; then
    G_TIMEOUT=10 g journalctl --no-pager -q -o short-precise -n 60 2>&1 || true
  elif [ -d "$M/var/log/journal" ]; then
    journalctl -D "$M/var/log/journal" --no-pager -q -o short-precise -n 60 2>&1 || true
  fi
  printf '\nend-to-end test: FAILED at step %d after %d s\n' "$step_no" $((SECONDS - t_start))
  exit 1
}
# Setup failures (before the guest runs): no journal to show yet.
die() { printf '\nend-to-end test: setup failed: %s\n' "$*"; exit 1; }

# ------------------------------------------------------------------------------- cleanup
cleanup() {
  local rc=$? pid deadline cg
  set +e
  trap - EXIT INT TERM
  for pid in "${loop_pids[@]}"; do kill "$pid" 2>/dev/null; done
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # SIGTERM makes nspawn halt the guest cleanly (under a second).
    kill -TERM "$nspawn_pid"
    deadline=$((SECONDS + 20))
    while kill -0 "$nspawn_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      echo "cleanup: the guest did not halt in 20 s: SIGKILL"
      kill -KILL "$nspawn_pid"
    fi
  fi
  [ -n "$nspawn_pid" ] && wait "$nspawn_pid" 2>/dev/null
  for pid in "${loop_pids[@]}"; do wait "$pid" 2>/dev/null; done
  for mp in "$M/var/cache/apt/archives" "$M/proc" "$M"; do
    if mountpoint -q "$mp" 2>/dev/null; then umount "$mp" || umount -l "$mp"; fi
  done
  # nspawn --keep-unit leaves payload/ and supervisor/ cgroups behind: kill anything the guest
  # left in them (processes this run started), then remove them depth first.
  for cg in "${cgroups[@]}"; do
    [ -d "$cg" ] || continue
    find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do kill -KILL "$pid"; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
      [ -d "$cg" ] || break
      sleep 0.1
    done
    [ -d "$cg" ] && echo "cleanup: could not remove cgroup $cg"
  done
  if [ "${E2E_KEEP:-}" = 1 ]; then echo "kept: $run"; else rm -rf "$run"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------- the guest
# g CMD...: runs CMD in the guest (all its namespaces), bounded by G_TIMEOUT seconds (60).
g() {
  timeout -k 5 "${G_TIMEOUT:-60}" nsenter -t "$leader" -a -- /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb SYSTEMD_COLORS=0 SYSTEMD_PAGER= LANG=C.UTF-8 "$@"
}
# Prints "$ CMD" and its output, indented; returns CMD's status.
gshow() {
  local rc=0 out
  printf '       $ %s\n' "$*"
  out=$(g "$@" 2>&1) || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/         /'
  return $rc
}
client() { g bash /mnt/e2e/client.sh "$@"; }
# probe TARGET EXPECTATION: one connection; EXPECTATION ok (answered as it should) or refused.
probe() {
  local rc=0 out
  out=$(client probe "$1") || rc=$?
  case $2:$rc in
    ok:0) info "$1: $out" ;;
    refused:1) info "$1: refused" ;;
    *) fail "$1: expected $2, got \"$out\" (client status $rc)" ;;
  esac
}
# journal ARGS...: the guest's journal since the last `mark`, short-unix timestamps.
mark() { since=$(date +%s.%6N); }
journal() { g journalctl --no-pager -q -o short-unix --since="@$since" "$@"; }
# wait_journal PATTERN ARGS...: waits (5 s at most) until an entry matching the extended regex
# PATTERN shows in `journal ARGS`; journald may write an entry a moment after the daemon sent it.
wait_journal() {
  local pattern=$1 deadline=$((SECONDS + 5))
  shift
  until journal "$@" | grep -Eq -- "$pattern"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}
# apt_install DEB [APT-GET ARGS...]: installs /mnt/debs/DEB in the guest, offline, and sets out to
# apt-get's output; fails with its tail.
apt_install() {
  local deb=$1
  shift
  out=$(G_TIMEOUT=300 g env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@" "/mnt/debs/$deb" </dev/null 2>&1) ||
    { echo "$out" | tail -20 | sed 's/^/         /'; fail "apt-get install $* $deb failed"; }
}
listening() { g ss -Hltn | awk '{print $4}' | sort | tr '\n' ' '; }
main_pid() { g systemctl show -p MainPID --value netsvcd; }
active() { g systemctl is-active "$@" || true; }

# Client loops in the guest: loop_start NAME TARGET... runs client.sh loop in the background,
# LOOP_CLIENTS clients at once, writing $M/var/tmp/e2e/NAME.out, and returns once they have made
# 100 connections; loop_wait NAME N waits until the file holds N more lines;
# loop_stop NAME ends it and waits for it; loop_check NAME prints the figures and fails on any
# connection that was not answered as it should.
loop_start() {
  local n=$1
  shift
  mkdir -p "$M/var/tmp/e2e"
  : >"$M/var/tmp/e2e/$n.out"
  G_TIMEOUT=200 client loop "/var/tmp/e2e/$n.out" "/var/tmp/e2e/$n.stop" 180 "$LOOP_CLIENTS" "$@" &
  loop_pids+=($!)
  eval "loop_pid_$n=$!"
  loop_wait "$n" 100
}
loop_lines() { wc -l <"$M/var/tmp/e2e/$1.out"; }
loop_wait() {
  local target=$(($(loop_lines "$1") + $2)) deadline=$((SECONDS + 30))
  until [ "$(loop_lines "$1")" -ge $target ]; do
    [ $SECONDS -lt $deadline ] || fail "client loop $1: fewer than $2 connections in 30 s"
    sleep 0.05
  done
}
loop_stop() {
  local pid_var=loop_pid_$1 deadline=$((SECONDS + 30))
  touch "$M/var/tmp/e2e/$1.stop"
  until tail -n 1 "$M/var/tmp/e2e/$1.out" | grep -qx end; do
    [ $SECONDS -lt $deadline ] || fail "client loop $1 did not end within 30 s of being told"
    sleep 0.05
  done
  wait "${!pid_var}" || fail "client loop $1 exited with status $?"
}
# Sets loop_total, loop_refused, loop_bad; fails when either is not 0.
loop_check() {
  local out="$M/var/tmp/e2e/$1.out"
  loop_total=$(grep -c -v '^end$' "$out" || true)
  loop_refused=$(awk '$3 == "refused"' "$out" | wc -l)
  loop_bad=$(awk '$3 == "bad"' "$out" | wc -l)
  local span
  span=$(awk '$1 ~ /^[0-9]/ { if (!a) a = $1; b = $2 } END { printf "%.1f", b - a }' "$out")
  info "client loop: $loop_total connections over $span s: $loop_refused refused, $loop_bad bad"
  if [ "$loop_refused" != 0 ] || [ "$loop_bad" != 0 ]; then
    awk '$3 != "ok" && $0 != "end"' "$out" | head -10 | sed 's/^/         /'
    fail "$2: $loop_refused of $loop_total connections refused, $loop_bad bad"
  fi
}
# gap_figures NAME OLDPID NEWPID: how long the ports were served by the kernel's backlog alone,
# from the old process's "no longer accepting" to the new one's "ready", and what the client
# loop saw meanwhile. Sets gap_text.
gap_figures() {
  local out="$M/var/tmp/e2e/$1.out" t_stop t_ready lines
  lines=$(journal -u netsvcd)
  t_stop=$(echo "$lines" | grep -E "netsvcd\[$2\]: .*no longer accepting" | awk '{print $1}' | head -1)
  t_ready=$(echo "$lines" | grep -E "netsvcd\[$3\]: netsvcd .* ready" | awk '{print $1}' | head -1)
  [ -n "$t_stop" ] && [ -n "$t_ready" ] || fail "no \"no longer accepting\" line of pid $2 or \"ready\" line of pid $3 in the journal"
  gap_text=$(awk -v a="$t_stop" -v b="$t_ready" '
    $1 ~ /^[0-9]/ { d = $2 - $1; if (d > max) max = d
                    if ($2 >= a && $1 <= b) { n++; if (d > gmax) gmax = d } }
    END { printf "no process accepted for %.0f ms; %d connection(s) overlapped that gap, all answered, the longest wait %.0f ms (longest of the loop: %.0f ms)",
                 (b - a) * 1000, n, gmax * 1000, max * 1000 }' "$out")
  info "$gap_text"
}

TARGETS_SHIPPED=("hello,127.0.0.1,8080,Hello World" "hello,::1,8080,Hello World"
                 "time,127.0.0.1,8013" "time,::1,8013" "http,127.0.0.1,8081" "http,::1,8081")
TARGET_NEW="hello,127.0.0.1,8082,Hello Again"
# Probed at steps of their own, not in the client loops: the shipped udp_rate_per_source (10/s)
# would drop a loop's datagrams, as it should.
TARGETS_UDP=("udp-time,127.0.0.1,8013" "udp-time,::1,8013")
ALL_PORTS="8080 8013 8081 8082"
LOOP_CLIENTS=4

# ------------------------------------------------------------------------------- setup
printf 'netsvcd end-to-end test: %s, then %s, in a booted Debian %s guest\n' \
  "$(basename "$deb1")" "$(basename "$deb2")" "$SUITE"

step "Debian $SUITE root (debootstrap --variant=minbase --include=$ROOT_PACKAGES)"
if [ -n "$E2E_CACHE" ]; then cache=$(realpath -m "$E2E_CACHE"); else cache=$run/cache; fi
mkdir -p "$cache/apt-archives/partial"
# One run at a time builds the root or fills the archive folder.
exec 9>"$cache/lock"
flock -w 900 9 || die "$cache/lock held for 15 minutes"
root=$cache/root
key="$SUITE minbase $ROOT_PACKAGES $MIRROR"
if [ -d "$root" ] && [ "$(cat "$cache/root.key" 2>/dev/null)" = "$key" ]; then
  info "cached: $root ($(date -r "$cache/root.key" '+made %F %T'))"
else
  rm -rf "$root" "$root.new" "$cache/root.key"
  info "debootstrap $SUITE from $MIRROR into $root (about a minute)"
  if ! debootstrap --variant=minbase --include="$ROOT_PACKAGES" "$SUITE" "$root.new" "$MIRROR" \
      >"$cache/debootstrap.log" 2>&1; then
    tail -20 "$cache/debootstrap.log"
    die "debootstrap failed (the whole log: $cache/debootstrap.log)"
  fi
  # The .debs debootstrap kept are not needed: the root is what is cached.
  rm -f "$root.new"/var/cache/apt/archives/*.deb
  mv "$root.new" "$root"
  echo "$key" >"$cache/root.key"
  info "made $root: $(du -sh "$root" | cut -f1)"
fi
pass "root ready"

step "overlay, and the packages' Depends installed into it (chroot apt-get satisfy)"
mkdir -p "$run/upper" "$run/work" "$M" "$run/debs" "$run/e2e"
mount -t overlay overlay -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" "$M"
cp "$deb1" "$deb2" "$run/debs/"
cp "$here/client.sh" "$run/e2e/"
cp "$M/etc/resolv.conf" "$run/resolv.conf.orig"
cp /etc/resolv.conf "$M/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$M/usr/sbin/policy-rc.d"
chmod 755 "$M/usr/sbin/policy-rc.d"
mount -t proc proc "$M/proc"
mount --bind "$cache/apt-archives" "$M/var/cache/apt/archives"
depends1=$(dpkg-deb -f "$deb1" Depends)
depends2=$(dpkg-deb -f "$deb2" Depends)
info "Depends: $depends1"
[ "$depends2" = "$depends1" ] || info "Depends of $v2: $depends2"
apt_chroot() {
  timeout 600 chroot "$M" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get -q \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@" </dev/null
}
if ! apt_chroot satisfy -y --no-install-recommends "$depends1" "$depends2" >"$run/satisfy.log" 2>&1; then
  info "apt-get satisfy failed with the root's package lists: apt-get update, then again"
  info "(the cached root's package lists are out of date: delete $root to make it again)"
  apt_chroot update >>"$run/satisfy.log" 2>&1 &&
    apt_chroot satisfy -y --no-install-recommends "$depends1" "$depends2" >>"$run/satisfy.log" 2>&1 ||
    { tail -20 "$run/satisfy.log"; die "apt-get satisfy failed"; }
fi
grep -E '^(Get:|Setting up)' "$run/satisfy.log" | sed 's/^/         /' || true
umount "$M/var/cache/apt/archives" "$M/proc"
flock -u 9
rm -f "$M/usr/sbin/policy-rc.d"
cp "$run/resolv.conf.orig" "$M/etc/resolv.conf"
pass "Depends installed"

step "boot: systemd-nspawn --boot, --private-network"
# nspawn runs in cgroups of its own (it cannot register with a host systemd here).
cgname=netsvcd-e2e-$$
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  cgroups=("/sys/fs/cgroup/$cgname")
else
  for h in systemd unified; do
    [ -d "/sys/fs/cgroup/$h" ] && cgroups+=("/sys/fs/cgroup/$h/$cgname")
  done
fi
for cg in "${cgroups[@]}"; do mkdir -p "$cg"; done
(
  for cg in "${cgroups[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs"; done
  exec env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -D "$M" --boot -M "$name" \
    --register=no --keep-unit --private-network --console=read-only \
    --bind-ro="$run/debs:/mnt/debs" --bind-ro="$run/e2e:/mnt/e2e" >"$run/console.log" 2>&1
) &
nspawn_pid=$!
deadline=$((SECONDS + 20))
until leader=$(pgrep -P "$nspawn_pid" | head -1) && [ -n "$leader" ]; do
  kill -0 "$nspawn_pid" 2>/dev/null || { tail -20 "$run/console.log"; die "systemd-nspawn exited"; }
  [ $SECONDS -lt $deadline ] || { tail -20 "$run/console.log"; die "no guest after 20 s"; }
  sleep 0.05
done
deadline=$((SECONDS + 30))
until g test -S /run/systemd/private 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || { tail -20 "$run/console.log"; die "the guest's systemd has no /run/systemd/private after 30 s"; }
  sleep 0.05
done
state=$(G_TIMEOUT=60 g systemctl is-system-running --wait || true)
info "$(g systemctl --version | head -1); system state: $state"
if [ "$state" != running ]; then
  gshow systemctl --failed --no-legend || true
  fail "the guest's system state is \"$state\", not running"
fi
pass "guest booted (PID 1 is systemd)"

# ------------------------------------------------------------------------------- the checks
step "apt-get install the package in the guest (offline): the service is active, the journal shows its start-up"
mark
apt_install "$(basename "$deb1")"
echo "$out" | grep -E '^(Setting up|Created symlink)' | sed 's/^/       /' || true
! echo "$out" | grep -Eq '^Get:[0-9]+ [a-z]+://' || fail "apt-get downloaded something: the Depends were not all installed"
[ "$(g dpkg-query -W -f '${Status} ${Version}' netsvcd)" = "install ok installed $v1" ] ||
  fail "dpkg says: $(g dpkg-query -W -f '${Status} ${Version}' netsvcd)"
[ "$(active netsvcd)" = active ] || fail "netsvcd is $(active netsvcd) after the install"
[ "$(g systemctl is-enabled netsvcd || true)" = enabled ] || fail "netsvcd.service is not enabled"
info "netsvcd.service: active, enabled; netsvcd.socket: $(g systemctl is-enabled netsvcd.socket || true), $(active netsvcd.socket)"
for re in 'listener hello \(hello\) listening on \[::\]:8080' \
          'listener daytime \(time\) listening on 127\.0\.0\.1:8013, \[::1\]:8013, udp://127\.0\.0\.1:8013, udp://\[::1\]:8013' \
          'listener words \(wordfinder\) listening on \[::\]:8081' \
          "netsvcd $(re_quote "$v1") ready: 3 listener\(s\) on 6 address\(es\)"; do
  wait_journal "$re" -u netsvcd || { journal -u netsvcd | sed 's/^/         /'; fail "journalctl -u netsvcd: no line matching /$re/"; }
done
journal -u netsvcd | grep -E 'listening on|ready' | cut -d' ' -f3- | sed 's/^/       /'
pass "active and enabled; start-up lines with the 3 listeners in the journal"

step "hello, time and wordfinder answer on the shipped ports, and time over UDP"
for t in "${TARGETS_SHIPPED[@]}" "${TARGETS_UDP[@]}"; do probe "$t" ok; done
words=$(g curl -sS -m 5 http://localhost:8081/lexical 2>&1) || fail "curl localhost:8081/lexical: $words"
[[ $words == *'"possibilities":["lexical",'* ]] || fail "GET /lexical answered: $words"
info "curl localhost:8081/lexical: ${words:0:100}..."
# The package's client, from the guest's PATH, against the installed daemon.
netsvc_out=$(g netsvc hello 127.0.0.1:8080 2>&1) || fail "netsvc hello 127.0.0.1:8080: $netsvc_out"
[ "$netsvc_out" = "Hello World" ] || fail "netsvc hello 127.0.0.1:8080 printed: $netsvc_out"
info "netsvc hello 127.0.0.1:8080: $netsvc_out"
netsvc_out=$(g netsvc words 127.0.0.1 lexical --min-length 7 2>&1) || fail "netsvc words: $netsvc_out"
[ "$netsvc_out" = "lexical" ] || fail "netsvc words 127.0.0.1 lexical --min-length 7 printed: $netsvc_out"
info "netsvc words 127.0.0.1 lexical --min-length 7: $netsvc_out"
g test -f /usr/share/bash-completion/completions/netsvc || fail "no netsvc bash completion"
g test -f /usr/share/man/man1/netsvc.1.gz || fail "no netsvc(1) man page"
pass "8080 (hello), 8013 (time, TCP and UDP) and 8081 (wordfinder), over IPv4 and IPv6; netsvc hello and words"

step "reload with a new hello listener on 8082, while a client loops on the old ports"
conf=$M/etc/netsvcd/netsvcd.yaml
cat >>"$conf" <<'EOF'

  # Added by the end-to-end test.
  - name: hello2
    kind: hello
    listen: ["[::]:8082"]
    message: "Hello Again"
EOF
pid=$(main_pid)
loop_start reload "${TARGETS_SHIPPED[@]}"
gshow systemctl reload netsvcd || fail "systemctl reload netsvcd returned $?"
probe "$TARGET_NEW" ok
probe "hello,::1,8082,Hello Again" ok
loop_wait reload 200
loop_stop reload
loop_check reload "reload"
[ "$(main_pid)" = "$pid" ] || fail "the main PID changed ($pid, now $(main_pid))"
cp "$conf" "$run/edited.yaml"
pass "reload returned 0, 8082 answered at once, none of $loop_total connections to the old ports refused"

step "reload with an invalid YAML: refused, the old ports answer, journalctl -p err has the line"
sed -i 's/^    message: "Hello Again"$/    message: Hello: Again/' "$conf"
bad_line=$(grep -n '^    message: Hello: Again$' "$conf" | cut -d: -f1)
[ -n "$bad_line" ] || fail "could not break the file (no hello2 message line)"
info "line $bad_line now reads \"    message: Hello: Again\""
mark
rc=0
gshow systemctl reload netsvcd || rc=$?
[ $rc != 0 ] || fail "systemctl reload netsvcd returned 0 on an invalid file"
info "systemctl reload netsvcd returned $rc"
[ "$(active netsvcd)" = active ] || fail "netsvcd is $(active netsvcd) after the refused reload"
[ "$(main_pid)" = "$pid" ] || fail "the main PID changed ($pid, now $(main_pid))"
for t in "${TARGETS_SHIPPED[@]}" "$TARGET_NEW"; do probe "$t" ok; done
wait_journal "/etc/netsvcd/netsvcd\.yaml:$bad_line:[0-9]+: " -u netsvcd -p err ||
  { journal -u netsvcd | sed 's/^/         /'; fail "journalctl -u netsvcd -p err: no error at netsvcd.yaml:$bad_line"; }
info '$ journalctl -u netsvcd -p err'
journal -u netsvcd -p err | cut -d' ' -f3- | sed 's/^/         /'
status=$(g systemctl show -p StatusText --value netsvcd)
info "STATUS: $status"
[[ $status == *"reload failed"* ]] || fail "the service's STATUS= does not say the reload failed"
cp "$run/edited.yaml" "$conf"
gshow systemctl reload netsvcd || fail "systemctl reload netsvcd returned $? with the valid file back"
pass "refused (status $rc), old config still served, the error at line $bad_line in -p err"

step "a drop-in in /etc/netsvcd/conf.d: reload serves it; broken, it is refused; removed, its port closes"
conf_d=$M/etc/netsvcd/conf.d
[ -d "$conf_d" ] && [ -z "$(ls -A "$conf_d")" ] || fail "/etc/netsvcd/conf.d is not the empty directory the package ships"
drop_in=$conf_d/50-e2e.yaml
cat >"$drop_in" <<'EOF'
listeners:
  - name: dropin
    kind: hello
    listen: ["[::]:8083"]
    message: "Hello Drop-in"
EOF
info "wrote /etc/netsvcd/conf.d/50-e2e.yaml: a hello listener on [::]:8083"
probe "hello,127.0.0.1,8083" refused
mark
gshow systemctl reload netsvcd || fail "systemctl reload netsvcd returned $? with a drop-in added"
probe "hello,127.0.0.1,8083,Hello Drop-in" ok
probe "hello,::1,8083,Hello Drop-in" ok
for t in "${TARGETS_SHIPPED[@]}" "$TARGET_NEW"; do probe "$t" ok; done
re="reloaded /etc/netsvcd/netsvcd\.yaml \+ 1 drop-in \(/etc/netsvcd/conf\.d/50-e2e\.yaml\): 5 listener\(s\) on 8 address\(es\)"
wait_journal "$re" -u netsvcd || { journal -u netsvcd | sed 's/^/         /'; fail "journalctl -u netsvcd: no line matching /$re/"; }
journal -u netsvcd | grep -E 'reloaded' | cut -d' ' -f3- | sed 's/^/       /'
# A key of the main file, in the drop-in: the whole reload is refused, at the drop-in's line.
echo "threads: 2" >>"$drop_in"
mark
rc=0
gshow systemctl reload netsvcd || rc=$?
[ $rc != 0 ] || fail "systemctl reload netsvcd returned 0 with a broken drop-in"
re="/etc/netsvcd/conf\.d/50-e2e\.yaml:6:1: threads: belongs in the main file"
wait_journal "$re" -u netsvcd -p err ||
  { journal -u netsvcd | sed 's/^/         /'; fail "journalctl -u netsvcd -p err: no line matching /$re/"; }
journal -u netsvcd -p err | cut -d' ' -f3- | sed 's/^/         /'
probe "hello,127.0.0.1,8083,Hello Drop-in" ok
[ "$(main_pid)" = "$pid" ] || fail "the main PID changed ($pid, now $(main_pid))"
rm "$drop_in"
gshow systemctl reload netsvcd || fail "systemctl reload netsvcd returned $? with the drop-in removed"
probe "hello,127.0.0.1,8083" refused
probe "$TARGET_NEW" ok
pass "8083 answered after the reload; the broken drop-in was refused at its line, 8083 still served; removed, 8083 refuses"

step "journalctl -u netsvcd LISTENER=... filters by listener"
g curl -sS -m 5 -o /dev/null http://localhost:8081/lexical || fail "curl localhost:8081/lexical failed"
g curl -sS -m 5 -o /dev/null http://localhost:8081/x1 || fail "curl localhost:8081/x1 failed"
probe "$TARGET_NEW" ok
# The whole journal of the service, start-up lines included, as a user would ask for it.
all=$(g journalctl --no-pager -q -u netsvcd | wc -l)
for l in words hello2 hello daytime; do
  sel=$(g journalctl --no-pager -q -u netsvcd "LISTENER=$l" -o verbose --output-fields=LISTENER,MESSAGE)
  n=$(echo "$sel" | grep -c '^    MESSAGE=' || true)
  others=$(echo "$sel" | grep '^    LISTENER=' | grep -vx "    LISTENER=$l" || true)
  example=$(echo "$sel" | grep '^    MESSAGE=' | tail -1 | sed 's/^    MESSAGE=//')
  info "journalctl -u netsvcd LISTENER=$l: $n of $all entries${example:+, the last: \"$example\"}"
  [ -z "$others" ] || fail "LISTENER=$l also gave: $others"
  eval "n_$l=$n"
done
# shellcheck disable=SC2154 # set by the eval above
{ [ "$n_words" -ge 1 ] && [ "$n_words" -lt "$all" ]; } ||
  fail "journalctl -u netsvcd LISTENER=words shows $n_words of $all entries"
pass "LISTENER=words shows the word finder's entries only ($n_words of $all)"

step "systemctl restart while a client loops: no connection refused"
old=$(main_pid)
mark
loop_start restart "${TARGETS_SHIPPED[@]}" "$TARGET_NEW"
gshow systemctl restart netsvcd || fail "systemctl restart netsvcd returned $?"
new=$(main_pid)
loop_wait restart 200
loop_stop restart
[ "$new" != "$old" ] && [ "$new" != 0 ] || fail "no new process (MainPID $old, then $new)"
info "MainPID $old, then $new"
wait_journal "netsvcd\[$new\]: sockets passed by systemd: " -u netsvcd || fail "the new process got no sockets from systemd's fd store"
journal -u netsvcd | grep -E "netsvcd\[$new\]: sockets passed" | cut -d' ' -f3- | sed 's/^/       /'
journal -u netsvcd | grep -qE "netsvcd\[$new\]: sockets passed by systemd: .*udp://127\.0\.0\.1:8013" ||
  fail "the fd store did not hand the UDP socket to the new process"
for t in "${TARGETS_UDP[@]}"; do probe "$t" ok; done
loop_check restart "restart"
gap_figures restart "$old" "$new"
restart_text="refused 0 of $loop_total; $gap_text"
pass "restart refused none of $loop_total connections"

step "systemd-analyze security netsvcd.service in the guest: the exposure the README states"
sec=$(g systemd-analyze security --no-pager netsvcd.service 2>&1) || true
exposure=$(echo "$sec" | sed -n 's/.*Overall exposure level for netsvcd.service: \([0-9.]*\) .*/\1/p')
info "$(echo "$sec" | grep 'Overall exposure level')"
[ "$exposure" = "$readme_exposure" ] || fail "exposure ${exposure:-?}, the README states $readme_exposure"
pass "exposure $exposure, as the README states"

step "systemctl stop netsvcd closes the ports"
gshow systemctl stop netsvcd || fail "systemctl stop netsvcd returned $?"
[ "$(active netsvcd)" = inactive ] || fail "netsvcd is $(active netsvcd) after stop"
for t in "${TARGETS_SHIPPED[@]}" "$TARGET_NEW" "${TARGETS_UDP[@]}"; do probe "$t" refused; done
left=$(listening)
info "listening TCP sockets: [${left% }]"
for p in $ALL_PORTS; do [[ " $left" != *":$p "* ]] || fail "port $p still listening: $left"; done
pass "inactive; every port refuses"

step "socket activation: enable --now netsvcd.socket, connect, the service starts and answers"
gshow systemctl enable --now netsvcd.socket || fail "systemctl enable --now netsvcd.socket returned $?"
[ "$(active netsvcd.socket)" = active ] || fail "netsvcd.socket is $(active netsvcd.socket)"
[ "$(active netsvcd)" = inactive ] || fail "netsvcd is $(active netsvcd) before any connection"
info "netsvcd.socket active, netsvcd.service inactive; listening: $(listening)"
mark
probe "hello,127.0.0.1,8080,Hello World" ok
[ "$(active netsvcd)" = active ] || fail "netsvcd is $(active netsvcd) after the first connection"
first=$(main_pid)
wait_journal "netsvcd\[$first\]: sockets passed by systemd: " -u netsvcd || fail "netsvcd $first logged no sockets passed by systemd"
journal -u netsvcd | grep -E "netsvcd\[$first\]: sockets passed" | cut -d' ' -f3- | sed 's/^/       /'
for t in "${TARGETS_SHIPPED[@]}" "$TARGET_NEW" "${TARGETS_UDP[@]}"; do probe "$t" ok; done
journal -u netsvcd | grep -qE "netsvcd\[$first\]: sockets passed by systemd: .*udp://\[::1\]:8013" ||
  fail "netsvcd.socket's ListenDatagram= sockets were not passed"
info "stop the service alone: the socket holds the ports, the next connection starts it again"
gshow systemctl stop netsvcd || fail "systemctl stop netsvcd returned $?"
[ "$(active netsvcd)" = inactive ] && [ "$(active netsvcd.socket)" = active ] ||
  fail "after stopping the service: netsvcd $(active netsvcd), netsvcd.socket $(active netsvcd.socket)"
probe "http,::1,8081" ok
second=$(main_pid)
[ "$(active netsvcd)" = active ] && [ "$second" != "$first" ] && [ "$second" != 0 ] ||
  fail "the service was not started again by a connection (netsvcd $(active netsvcd), MainPID $second)"
info "started again by the connection: MainPID $first, then $second"
info "stop the service alone again: a datagram starts it this time"
gshow systemctl stop netsvcd || fail "systemctl stop netsvcd returned $?"
probe "udp-time,127.0.0.1,8013" ok
[ "$(active netsvcd)" = active ] || fail "a datagram did not start netsvcd (it is $(active netsvcd))"
gshow systemctl stop netsvcd.socket netsvcd || fail "systemctl stop netsvcd.socket netsvcd returned $?"
for t in "${TARGETS_SHIPPED[@]}" "$TARGET_NEW" "${TARGETS_UDP[@]}"; do probe "$t" refused; done
pass "started by the first connection, and again after a stop; stop netsvcd.socket netsvcd closes the ports"

step "upgrade to $v2 while a client loops: the conffile edit is kept, no connection refused"
gshow systemctl start netsvcd || fail "systemctl start netsvcd returned $?"
old=$(main_pid)
mark
loop_start upgrade "${TARGETS_SHIPPED[@]}" "$TARGET_NEW"
apt_install "$(basename "$deb2")"
echo "$out" | grep -E '^(Preparing|Unpacking|Setting up|Configuration file)' | sed 's/^/       /' || true
new=$(main_pid)
loop_wait upgrade 200
loop_stop upgrade
[ "$(g dpkg-query -W -f '${Status} ${Version}' netsvcd)" = "install ok installed $v2" ] ||
  fail "dpkg says: $(g dpkg-query -W -f '${Status} ${Version}' netsvcd)"
[ "$new" != "$old" ] && [ "$new" != 0 ] || fail "netsvcd was not restarted by the upgrade (MainPID $old, then $new)"
info "MainPID $old, then $new"
wait_journal "netsvcd\[$new\]: netsvcd $(re_quote "$v2") ready" -u netsvcd || fail "no \"netsvcd $v2 ready\" line from the new process"
cmp -s "$conf" "$run/edited.yaml" || { diff "$run/edited.yaml" "$conf" | sed 's/^/         /'; fail "/etc/netsvcd/netsvcd.yaml changed"; }
# Beside it, only the drop-in directory the package ships, still empty.
leftovers=$(find "$M/etc/netsvcd" -mindepth 1 -not -name netsvcd.yaml \
  -not \( -path "$M/etc/netsvcd/conf.d" -type d -empty \) -printf '%P ')
[ -z "$leftovers" ] || fail "/etc/netsvcd also holds: $leftovers"
[ -d "$M/etc/netsvcd/conf.d" ] || fail "/etc/netsvcd/conf.d is gone after the upgrade"
info "/etc/netsvcd/netsvcd.yaml kept as edited (hello2 on 8082), nothing beside it but the empty conf.d/"
probe "$TARGET_NEW" ok
loop_check upgrade "upgrade"
gap_figures upgrade "$old" "$new"
upgrade_text="refused 0 of $loop_total; $gap_text"
pass "upgraded to $v2, edit kept, none of $loop_total connections refused"

step "reinstall $v2 with netsvcd.socket enabled and active, while a client loops: the socket stays up, none refused"
# dpkg runs the maintainer scripts of a reinstall as for an upgrade: the package must neither
# stop the socket unit an admin started nor leave it stopped.
# systemd refuses to start a socket unit while its service runs: stop it first, as an admin must.
gshow systemctl stop netsvcd || fail "systemctl stop netsvcd returned $?"
gshow systemctl enable --now netsvcd.socket || fail "systemctl enable --now netsvcd.socket returned $?"
gshow systemctl start netsvcd || fail "systemctl start netsvcd returned $?"
[ "$(active netsvcd.socket)" = active ] && [ "$(active netsvcd)" = active ] ||
  fail "before the reinstall: netsvcd.socket $(active netsvcd.socket), netsvcd $(active netsvcd)"
socket_since() { g systemctl show -p ActiveEnterTimestampMonotonic --value netsvcd.socket; }
socket_t0=$(socket_since)
old=$(main_pid)
mark
loop_start reinstall "${TARGETS_SHIPPED[@]}" "$TARGET_NEW"
apt_install "$(basename "$deb2")" --reinstall
echo "$out" | grep -E '^(Preparing|Unpacking|Setting up)' | sed 's/^/       /' || true
new=$(main_pid)
loop_wait reinstall 200
loop_stop reinstall
[ "$(active netsvcd.socket)" = active ] || fail "netsvcd.socket is $(active netsvcd.socket) after the reinstall"
[ "$(socket_since)" = "$socket_t0" ] || fail "netsvcd.socket was stopped and started again by the reinstall"
[ "$new" != "$old" ] && [ "$new" != 0 ] || fail "netsvcd was not restarted by the reinstall (MainPID $old, then $new)"
info "netsvcd.socket active throughout; MainPID $old, then $new"
loop_check reinstall "reinstall"
gap_figures reinstall "$old" "$new"
reinstall_text="refused 0 of $loop_total; $gap_text"
pass "the socket unit untouched, the service restarted, none of $loop_total connections refused"

step "apt-get purge netsvcd leaves nothing behind"
links=$(cd "$M/etc/systemd/system" && find . -name 'netsvcd.*' | sort | tr '\n' ' ')
info "links before: $links"
[[ $links == *multi-user.target.wants/netsvcd.service* && $links == *sockets.target.wants/netsvcd.socket* ]] ||
  fail "netsvcd.service and netsvcd.socket were not both enabled before the purge"
out=$(G_TIMEOUT=300 g env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q netsvcd </dev/null 2>&1) ||
  { echo "$out" | tail -20 | sed 's/^/         /'; fail "apt-get purge netsvcd failed"; }
echo "$out" | grep -E '^(Removing|Purging)' | sed 's/^/       /' || true
! g dpkg-query -W -f '${Status}\n' netsvcd 2>/dev/null | grep -q . ||
  fail "dpkg still knows netsvcd: $(g dpkg-query -W -f '${Status}' netsvcd)"
[ ! -e "$M/etc/netsvcd" ] || fail "/etc/netsvcd is still there: $(ls -A "$M/etc/netsvcd")"
left=$(g find / -xdev -name '*netsvcd*' -not -path '/var/tmp/e2e/*' 2>/dev/null || true)
[ -z "$left" ] || fail "files left behind: $left"
g test ! -e /run/netsvcd || fail "/run/netsvcd is still there"
dangling=$(g find /etc/systemd -xtype l 2>/dev/null || true)
[ -z "$dangling" ] || fail "dangling links: $dangling"
for u in netsvcd.service netsvcd.socket; do
  load=$(g systemctl show -p LoadState --value "$u")
  [ "$load" = not-found ] || fail "$u: LoadState=$load after the purge"
  [ "$(active "$u")" = inactive ] || fail "$u is $(active "$u") after the purge"
done
g pgrep -x netsvcd >/dev/null && fail "a netsvcd process is still running"
for t in "${TARGETS_SHIPPED[@]}" "$TARGET_NEW"; do probe "$t" refused; done
pass "no file named *netsvcd*, no unit link, units not found, ports closed"

printf '\nrestart: %s\nupgrade: %s\nreinstall with the socket unit: %s\n' "$restart_text" "$upgrade_text" "$reinstall_text"
printf '\nend-to-end test: all %d steps passed in %d s\n' "$step_no" $((SECONDS - t_start))
