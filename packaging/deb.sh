#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the Debian package from this tree into OUTDIR: packaging/deb.sh OUTDIR
#
# debian/ lives in packaging/debian, so the build tree is assembled in a
# temporary directory: the tree's files (git's tracked and untracked ones,
# not the ignored ones such as build directories; edits included), with
# packaging/debian copied to debian/ at the top.  Then dpkg-buildpackage -us
# -uc -b (binary packages, unsigned).  OUTDIR gets the .deb files (the
# package and its -dbgsym), the .buildinfo, the .changes and build.log.
# Needs dpkg-dev and debhelper, and the Build-Depends of
# packaging/debian/control (dpkg-buildpackage names any that are missing).
# DEB_BUILD_OPTIONS is honoured; parallel= defaults to the number of CPUs.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ $# -ne 1 ] || [ "${1:0:1}" = - ]; then
	sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
for t in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$t" >/dev/null || {
		echo "deb.sh: $t not found: apt-get install dpkg-dev debhelper" >&2
		exit 1
	}
done
mkdir -p "$1"
out=$(cd "$1" && pwd)

# the changelog and meson.build must agree on the version
version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
upstream=$(sed -n "s/^  version : '\([^']*\)',.*/\1/p" "$top/meson.build")
if [ "${version%%-*}" != "$upstream" ]; then
	echo "deb.sh: packaging/debian/changelog says $version, meson.build $upstream" >&2
	exit 1
fi

work=$(mktemp -d /tmp/sentinel-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
src=$work/sentinel-$version
mkdir "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# files deleted but not yet committed are skipped (--ignore-failed-read)
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -C "$src" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . |
		tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

opts=${DEB_BUILD_OPTIONS:-}
case " $opts " in
*" parallel="*) ;;
*) opts="${opts:+$opts }parallel=$(nproc)" ;;
esac

echo "deb.sh: building sentinel $version in $src (DEB_BUILD_OPTIONS=$opts)"
start=$(date +%s)
if ! (cd "$src" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1; then
	cp "$work/build.log" "$out/build.log"
	tail -n 40 "$work/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed; the whole log: $out/build.log" >&2
	exit 1
fi
cp "$work/build.log" "$out/build.log"
shopt -s nullglob
files=("$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes)
[ ${#files[@]} -gt 0 ] || {
	echo "deb.sh: dpkg-buildpackage made no package" >&2
	exit 1
}
mv "${files[@]}" "$out/"
echo "deb.sh: built in $(($(date +%s) - start)) s:"
for f in "${files[@]}"; do
	printf '  %s (%s bytes)\n' "$out/${f##*/}" "$(stat -c %s "$out/${f##*/}")"
done
