#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Developer entry point: install build/test dependencies, build, demo, test, bench.
#   packaging/dev.sh deps    install every Debian package needed (idempotent)
#   packaging/dev.sh build   meson setup + compile into ./build
#   packaging/dev.sh demo    deps + build + the demo network (test/demo.sh)
#   packaging/dev.sh test    deps + build + the whole test suite + format check
#   packaging/dev.sh bench   deps + build + benchmarks (prints figures)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SENTINEL_BUILD_DIR:-$top/build}

# Debian 12 packages, one per line with the reason.
PACKAGES=(
	meson ninja-build pkg-config gcc  # build
	clang llvm                         # BPF target compiler, llvm-strip
	libbpf-dev libelf-dev zlib1g-dev   # libbpf and what it links
	bpftool                            # skeletons, vmlinux.h, test inspection
	libnng-dev                         # channels between the daemons
	libcap-ng-dev                      # sentinel-dp drops capabilities
	libcyaml-dev libyaml-dev           # configuration (YAML against a schema, line numbers)
	libcurl4-openssl-dev               # sentinelctl (REST over HTTPS)
	libmbedtls-dev                     # JWT signatures, key hashing
	libsqlite3-dev                     # the store (alerts, audit, API rules)
	libjansson-dev                     # JSON (API bodies, config dump, JWT claims)
	libh2o-dev libuv1-dev libssl-dev   # the HTTPS API (h2o on libuv, OpenSSL TLS)
	curl openssl                       # API tests (client, test certificates)
	prometheus                         # the metrics test scrapes with a real server
	flatbuffers-compiler               # flatc: wire-compatibility tests of schema/
	libclang-rt-14-dev                 # libFuzzer and sanitizer runtimes
	clang-format                       # format check
	iproute2 iputils-ping socat netcat-openbsd hping3 nmap tcpreplay  # integration traffic
	iptables                           # benchmark baseline
	wrk nghttp2-client                 # API benchmark (HTTP/1.1, HTTP/2 h2load)
	python3                            # JSON checks in tests
	python3-yaml yamllint              # Kubernetes manifest checks
	debhelper dpkg-dev lintian         # the Debian package test (build, lint)
	procps kmod                        # sysctl, modprobe
)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "dev.sh: $1 needs root (BPF, network namespaces, apt-get)" >&2
		exit 1
	fi
}

deps() {
	need_root deps
	local missing=()
	for p in "${PACKAGES[@]}"; do
		case "$p" in \#*) continue ;; esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "dev.sh: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

build() {
	if [ ! -d "$build" ]; then
		meson setup "$build" "$top"
	fi
	ninja -C "$build"
}

cmd=${1:-}
case "$cmd" in
deps) deps ;;
build) build ;;
demo)
	deps
	build
	exec "$top/test/demo.sh" "${@:2}"
	;;
test)
	deps
	build
	# every suite: format, unit, bpf, integration, fuzz
	log=$(mktemp)
	rc=0
	meson test -C "$build" --print-errorlogs --num-processes 1 "${@:2}" | tee "$log" || rc=$?
	ok=$(awk '/^Ok:/ {print $2}' "$log")
	bad=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {n += $NF} END {print n + 0}' "$log")
	rm -f "$log"
	echo "meson test: ${ok:-0} passed, ${bad:-0} failed"
	exit "$rc"
	;;
bench)
	deps
	build
	exec "$top/test/bench/run.sh" "$build"
	;;
*)
	sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
