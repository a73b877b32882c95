# lib.sh: TAP helpers for the shell tests.  Source it from a t/tNNNN-*.sh
# test run from the top of the tree:  . t/lib.sh
#
#   plan N | skip_all REASON | need_cmd CMD REASON
#   skip REASON                 one test that cannot run here: skipped,
#                               a failure in CI (as skip_all)
#   ok COND-EXIT-STATUS NAME...   (use: cmd; ok $? "name"; NAME's
#                               words are joined, as in is and like)
#   is GOT WANT NAME
#   like GOT REGEX NAME
#   wait_for SECONDS CMD...     poll CMD (every 50 ms) until it succeeds
#   T                           a scratch directory, removed at exit if passed
#   track_pid PID               killed (TERM, then KILL) at exit
#   done_testing
#
# In CI (CI set), a missing dependency is a failure, never a skip.
set -u
TOP=$(pwd)
export TOP
PATH="$TOP/t/bin:$PATH"
_tap_n=0
_tap_fail=0
_tap_planned=
_tap_pids=
mkdir -p "$TOP/t/tmp"
T=$(mktemp -d "$TOP/t/tmp/$(basename "$0" .sh).XXXXXX")
export T

_tap_cleanup() {
	for p in $_tap_pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $_tap_pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$_tap_fail" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$T"
	else
		echo "# scratch directory kept: $T"
	fi
}
trap _tap_cleanup EXIT
trap 'exit 1' INT TERM

track_pid() { _tap_pids="$_tap_pids $*"; }

plan() { _tap_planned=$1; echo "1..$1"; }

skip_all() {
	if [ -n "${CI:-}" ]; then
		echo "1..1"
		echo "not ok 1 - cannot run in CI: $*"
		_tap_fail=1
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# skip_chosen WHY: skipped because the runner chose so (KAFKA_KINDS), not
# for a missing dependency; allowed in CI, which ran it in another pass.
skip_chosen() {
	echo "1..0 # SKIP $*"
	exit 0
}

skip() {
	_tap_n=$((_tap_n + 1))
	if [ -n "${CI:-}" ]; then
		echo "not ok $_tap_n - cannot run in CI: $*"
		_tap_fail=$((_tap_fail + 1))
	else
		echo "ok $_tap_n # SKIP $*"
	fi
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip_all "$1 not found: ${2:-}"
}

ok() {
	_tap_n=$((_tap_n + 1))
	_tap_r=$1
	shift
	if [ "$_tap_r" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_fail=$((_tap_fail + 1))
	fi
}

is() {
	_tap_n=$((_tap_n + 1))
	_tap_g=$1
	_tap_w=$2
	shift 2
	if [ "$_tap_g" = "$_tap_w" ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		printf '#   got: %s\n# want: %s\n' "$_tap_g" "$_tap_w"
		_tap_fail=$((_tap_fail + 1))
	fi
}

like() {
	_tap_n=$((_tap_n + 1))
	_tap_g=$1
	_tap_w=$2
	shift 2
	if printf '%s\n' "$_tap_g" | grep -Eq -- "$_tap_w"; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		printf '#   got: %s\n# want match: %s\n' "$_tap_g" "$_tap_w"
		_tap_fail=$((_tap_fail + 1))
	fi
}

diag() { echo "# $*"; }

# wait_for SECONDS CMD...: true once CMD succeeds, false at the deadline.
wait_for() {
	_wf_end=$(( $(date +%s%N) / 1000000 + $1 * 1000 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge $_wf_end ] && return 1
		sleep 0.05
	done
}

done_testing() {
	[ -z "$_tap_planned" ] && echo "1..$_tap_n"
	if [ -n "$_tap_planned" ] && [ "$_tap_planned" -ne "$_tap_n" ]; then
		echo "# planned $_tap_planned tests but ran $_tap_n"
		_tap_fail=$((_tap_fail + 1))
	fi
	[ "$_tap_fail" -eq 0 ]
	exit $?
}
