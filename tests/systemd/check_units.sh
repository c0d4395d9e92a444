#!/bin/bash
# Checks the unit files in systemd/ with systemd's own tools; needs no running systemd.
#
#   check_units.sh verify   UNIT_DIR NETSVCD_BINARY
#       systemd-analyze verify on netsvcd.service and netsvcd.socket, with /usr/sbin/netsvcd
#       replaced by a link to NETSVCD_BINARY (verify wants ExecStart= and ExecReload= to exist;
#       the link keeps a checkout path with spaces out of the command line). verify exits 0 on
#       unknown keys and bad values, so anything it prints is a failure.
#   check_units.sh security UNIT_DIR MAX_EXPOSURE_X10
#       systemd-analyze security --offline=yes on netsvcd.service: fails when the exposure is
#       above MAX_EXPOSURE_X10 / 10 (15: 1.5), and prints the figure either way.
set -u

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ $# -eq 3 ] || fail "usage: $0 verify UNIT_DIR NETSVCD_BINARY | security UNIT_DIR MAX_EXPOSURE_X10"
mode=$1
unit_dir=$2
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (apt-get install systemd)"

case $mode in
verify)
  binary=$3
  [ -x "$binary" ] || fail "$binary is not an executable"
  work=$(mktemp -d /tmp/netsvcd-units.XXXXXX) || fail "mktemp"
  trap 'rm -rf "$work"' EXIT
  ln -s "$binary" "$work/netsvcd" || fail "ln -s $binary"
  for unit in netsvcd.service netsvcd.socket; do
    [ -f "$unit_dir/$unit" ] || fail "$unit_dir/$unit is missing"
    sed "s|/usr/sbin/netsvcd|$work/netsvcd|g" "$unit_dir/$unit" >"$work/$unit" || fail "sed $unit"
  done
  grep -q "^ExecStart=$work/netsvcd " "$work/netsvcd.service" ||
    fail "netsvcd.service: no ExecStart=/usr/sbin/netsvcd ... line"
  grep -q "^ExecReload=$work/netsvcd " "$work/netsvcd.service" ||
    fail "netsvcd.service: no ExecReload=/usr/sbin/netsvcd ... line"

  # Run from the copies' folder: verify then finds netsvcd.service for the socket there.
  (cd "$work" && systemd-analyze verify ./netsvcd.service ./netsvcd.socket) >"$work/out" 2>&1
  status=$?
  cat "$work/out"
  [ $status -eq 0 ] || fail "systemd-analyze verify exited $status"
  [ -s "$work/out" ] && fail "systemd-analyze verify printed the lines above"
  echo "systemd-analyze verify: netsvcd.service and netsvcd.socket are clean"
  ;;
security)
  threshold=$3
  out=$(systemd-analyze security --no-pager --offline=yes --threshold="$threshold" \
    "$unit_dir/netsvcd.service" 2>&1)
  status=$?
  figure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for netsvcd.service: \([0-9.]*\).*/\1/p')
  [ -n "$figure" ] || { printf '%s\n' "$out"; fail "no exposure figure in the output above"; }
  if [ $status -ne 0 ]; then
    # The items that cost exposure, then the verdict.
    printf '%s\n' "$out" | grep -E '✗|Overall'
    fail "exposure $figure is above $threshold/10 (systemd-analyze exited $status)"
  fi
  echo "systemd-analyze security --offline=yes netsvcd.service: exposure $figure (at most $threshold/10 required)"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
