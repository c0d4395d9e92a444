#!/bin/bash
# Checks that the man pages keep up with the code: netsvcd(8) names every option that
# `netsvcd --help` lists, and netsvcd.yaml(5) every configuration key that the loader and the
# services read (each as *key:*).
#
#   check_man_pages.sh MAN_DIR DAEMON_SOURCE_DIR NETSVCD_BINARY
set -u

[ $# -eq 3 ] || { echo "usage: $0 MAN_DIR DAEMON_SOURCE_DIR NETSVCD_BINARY" >&2; exit 1; }
man_dir=$1
daemon_dir=$2
binary=$3
failures=0

options=$("$binary" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$options" ] || { echo "FAIL: $binary --help lists no option" >&2; exit 1; }
for option in $options; do
  grep -qF -- "*$option*" "$man_dir/netsvcd.8.scd" ||
    { echo "FAIL: netsvcd.8.scd does not describe $option" >&2; failures=$((failures + 1)); }
done

keys=$(grep -ohE '\b(reader|options)\.[a-z_]+\("[a-z_0-9]+"' "$daemon_dir"/config/*.cpp \
         "$daemon_dir"/services/*.cpp | sed -E 's/.*\("([a-z_0-9]+)"/\1/' | sort -u)
[ -n "$keys" ] || { echo "FAIL: no configuration key found in $daemon_dir" >&2; exit 1; }
for key in $keys; do
  grep -qF -- "*$key:*" "$man_dir/netsvcd.yaml.5.scd" ||
    { echo "FAIL: netsvcd.yaml.5.scd does not describe $key" >&2; failures=$((failures + 1)); }
done

echo "$(echo "$options" | wc -w) options and $(echo "$keys" | wc -w) keys checked"
[ "$failures" -eq 0 ]
