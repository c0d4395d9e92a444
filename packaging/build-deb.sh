#!/usr/bin/env bash
# Builds netsvcd's Debian package; `make deb` runs it once the build dependencies are installed.
#
#   packaging/build-deb.sh [VERSION]
#
# VERSION defaults to the one in CMakeLists.txt's project(), the single source that `netsvcd
# --version` reports too; another (say 0.1.0+e2e1, which sorts above 0.1.0) builds a package
# for an upgrade test without touching a tracked file. The tree is copied to
# $STAGE_DIR/netsvcd-VERSION/ (tracked and untracked files, not ignored ones), packaging/debian
# becomes its debian/ and gets a changelog with that version, dpkg-buildpackage -b builds it,
# and the .deb files, .buildinfo and .changes go to $DIST_DIR. Then the .deb's binary must report
# the package's version, and lintian must find no error or warning.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
stage=${STAGE_DIR:-build-deb}
dist=${DIST_DIR:-dist}
jobs=${JOBS:-$(nproc)}

cmake_version=$(sed -n 's/^project(netsvcd VERSION \([0-9][0-9.]*\) .*/\1/p' CMakeLists.txt)
[ -n "$cmake_version" ] || { echo "build-deb: no project(netsvcd VERSION ...) in CMakeLists.txt" >&2; exit 1; }
version=${1:-$cmake_version}
# Native format: a version without a Debian revision (no '-').
if ! dpkg --validate-version "$version" 2>/dev/null || [[ $version == *-* || $version == *:* ]]; then
  echo "build-deb: \"$version\" is not a native package version (digits first; no '-' or ':')" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)

# A copy of the tree: dpkg-buildpackage writes debian/ and its outputs beside the source
# directory, and none of that belongs in the checkout.
src=$stage/netsvcd-$version
rm -rf "$stage"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
    tar --null -T - -cf - | tar -xf - -C "$src"
else
  tar --exclude=./.git --exclude='./build*' --exclude="./$dist" -cf - . | tar -xf - -C "$src"
fi
cp -r packaging/debian "$src/debian"

# The changelog is generated, so that the version has one source. Its date is the last
# commit's, so that a rebuild of the same commit is the same package.
maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control)
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
revision=$(git describe --always --dirty 2>/dev/null || echo "a tree outside git")
cat >"$src/debian/changelog" <<EOF
netsvcd ($version) bookworm; urgency=medium

  * netsvcd $version, packaged by \`make deb\` from $revision.

 -- $maintainer  $date
EOF

(cd "$src" && dpkg-buildpackage -b -us -uc -j"$jobs")

mkdir -p "$dist"
outputs=("$stage"/netsvcd*_"${version}"_"$arch".deb "$stage/netsvcd_${version}_$arch.buildinfo"
         "$stage/netsvcd_${version}_$arch.changes")
rm -f "$dist"/netsvcd*_"${version}"_"$arch".*
mv "${outputs[@]}" "$dist"/
deb=$dist/netsvcd_${version}_$arch.deb

# The package's version is the binary's.
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"
reported=$("$unpacked/usr/sbin/netsvcd" --version)
if [ "$(dpkg-deb -f "$deb" Version)" != "$version" ] || [ "$reported" != "netsvcd $version" ]; then
  echo "build-deb: $deb is version $(dpkg-deb -f "$deb" Version), its netsvcd says \"$reported\"" >&2
  exit 1
fi
# The client ships beside the daemon, with its man page and bash completion.
reported=$("$unpacked/usr/bin/netsvc" --version)
[ "$reported" = "netsvc $version" ] ||
  { echo "build-deb: $deb's netsvc says \"$reported\", not \"netsvc $version\"" >&2; exit 1; }
for file in usr/share/man/man1/netsvc.1.gz usr/share/bash-completion/completions/netsvc; do
  [ -f "$unpacked/$file" ] || { echo "build-deb: $deb has no /$file" >&2; exit 1; }
done

lintian --fail-on error,warning --info "$dist/netsvcd_${version}_$arch.changes"
echo "build-deb: lintian clean; in $dist/:" $(cd "$dist" && ls netsvcd*_"${version}"_"$arch".*)
