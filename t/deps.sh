#!/bin/sh
# deps.sh install PKG...: install the Debian packages that are missing.
# A word PKG@CMD is satisfied when CMD is on the PATH (for tools such as java
# or node that machines often get from elsewhere than Debian's archive).
# Quiet and fast when nothing is missing.
#
# deps.sh go DIR: download the Go modules DIR's go.mod needs (the
# go-libp2p test peer, t/p2p/go) from the Go module proxy, once: the
# tests build it offline after that.  Go itself (1.26 or later, newer
# than Debian's) is not installed here; without it those tests skip
# (fail in CI).
set -u
if [ "${1:-}" = go ] && [ $# -eq 2 ]; then
	if ! command -v go >/dev/null 2>&1; then
		echo "deps: go not found: the go-libp2p tests (t31xx) will skip" >&2
		exit 0
	fi
	cd "$2" || exit 100
	GOTOOLCHAIN=local GOFLAGS=-mod=readonly go mod download >&2 ||
	    { echo "deps: fatal: go mod download failed in $2" >&2; exit 111; }
	exit 0
fi
[ "${1:-}" = install ] || {
	echo "usage: deps.sh install PKG... | deps.sh go DIR" >&2
	exit 100
}
shift
missing=
for w in "$@"; do
	pkg=${w%@*}
	if [ "$pkg" != "$w" ]; then
		command -v "${w#*@}" >/dev/null 2>&1 && continue
	fi
	st=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
	case "$st" in *" installed") ;; *) missing="$missing $pkg" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: fatal: not root: run as root, or: apt-get install$missing" >&2
	exit 100
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || { echo "deps: fatal: apt-get update failed" >&2; exit 111; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2 ||
	{ echo "deps: fatal: apt-get install failed:$missing" >&2; exit 111; }
