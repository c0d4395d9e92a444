#!/bin/bash
# Unpacks the real tools the tests drive into DIR/root, without installing their packages:
# installing prometheus or haproxy would enable and start a service of theirs on this machine,
# which a test run must not leave behind. Each package is fetched once (apt-get download) and
# kept. Their shared libraries come from the Makefile's DEPS.
# Usage: fetch.sh DIR PACKAGE...
set -euo pipefail
dir=$1
shift
mkdir -p "$dir/debs" "$dir/root"
for package in "$@"; do
  [ -e "$dir/.unpacked-$package" ] && continue
  rm -f "$dir/debs/${package}"_*.deb
  if ! (cd "$dir/debs" && apt-get download -q "$package" >/dev/null 2>&1); then
    # The package lists may be missing (a fresh container) or stale.
    ${SUDO:-} apt-get update -qq
    (cd "$dir/debs" && apt-get download -q "$package" >/dev/null)
  fi
  dpkg-deb -x "$dir/debs/${package}"_*.deb "$dir/root"
  touch "$dir/.unpacked-$package"
  echo "test tools: unpacked $(basename "$dir"/debs/"${package}"_*.deb) into $dir/root"
done
