#!/bin/bash
# Checks that the man pages keep up with the code: netsvcd(8) names every option that
# `netsvcd --help` lists, netsvcd.yaml(5) every configuration key that the loader and the
# services read (each as *key:*), and, given NETSVC_BINARY, netsvc(1) every subcommand and every
# option of `netsvc --help` and of each subcommand's --help.
#
#   check_man_pages.sh MAN_DIR DAEMON_SOURCE_DIR NETSVCD_BINARY [NETSVC_BINARY]
set -u

[ $# -eq 3 ] || [ $# -eq 4 ] ||
  { echo "usage: $0 MAN_DIR DAEMON_SOURCE_DIR NETSVCD_BINARY [NETSVC_BINARY]" >&2; exit 1; }
man_dir=$1
daemon_dir=$2
binary=$3
client=${4:-}
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

client_checked=
if [ -n "$client" ]; then
  # The subcommands: the lines after "Subcommands:" in the help, up to the next empty line.
  subcommands=$("$client" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
  [ -n "$subcommands" ] || { echo "FAIL: $client --help lists no subcommand" >&2; exit 1; }
  client_options=$({ "$client" --help; for s in $subcommands; do "$client" "$s" --help; done; } |
                   grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
  for word in $subcommands $client_options; do
    grep -qF -- "*$word*" "$man_dir/netsvc.1.scd" ||
      { echo "FAIL: netsvc.1.scd does not describe $word" >&2; failures=$((failures + 1)); }
  done
  client_checked=", $(echo "$subcommands" | wc -w) netsvc subcommands and $(echo "$client_options" | wc -w) netsvc options"
fi

echo "$(echo "$options" | wc -w) options and $(echo "$keys" | wc -w) keys checked$client_checked"
[ "$failures" -eq 0 ]
