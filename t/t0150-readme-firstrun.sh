#!/bin/sh
# t0150 (issue 13): the README's "First run" steps work literally.  The
# two blocks marked "firstrun: start" and "firstrun: check" in README.md
# are run as they are written, with HOME a scratch directory, in a copy of
# this tree (its files and what make built: the README's make then has
# little to do), against the dev broker and the dev node on the addresses
# the reference configuration expects (127.0.0.1:9092, 127.0.0.1:9944).
# So that those ports are free whatever else runs here, the test runs in
# a network namespace of its own (unshare -n: root), loopback only.
if [ -z "${T0150_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] &&
    command -v ip >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	T0150_NETNS=1 exec unshare -n sh "$0" "$@"
fi
. t/lib.sh
. t/lib-kafka.sh
[ -n "${T0150_NETNS:-}" ] ||
    skip_all "needs root, unshare -n and ip for a network namespace"
case " $(kafka_kinds) " in
*" mock "*) ;;
*) skip_chosen "KAFKA_KINDS=$(kafka_kinds) leaves out the dev broker" ;;
esac
for _b in t/devbroker/devbroker t/devnode/devnode keygen/coord-keygen \
    supervisor/supervisor; do
	[ -x "$_b" ] || skip_all "$_b not built: run make"
done
plan 10

ip link set lo up || { echo "Bail out! ip link set lo up"; exit 1; }
"$DEVBROKER" -p 127.0.0.1:9092 -d 3 3>"$T/broker.ready" \
    >"$T/broker.log" 2>&1 </dev/null &
track_pid $!
t/devnode/devnode -a 127.0.0.1:9944 -i 500ms -d 3 3>"$T/node.ready" \
    >"$T/node.log" 2>&1 </dev/null &
track_pid $!
if ! wait_for 20 test -s "$T/broker.ready" ||
    ! wait_for 20 test -s "$T/node.ready"; then
	tail "$T/broker.log" "$T/node.log" | sed 's/^/# /'
	echo "Bail out! the dev broker or the dev node did not start"
	exit 1
fi

# The README's blocks: the fenced sh block after each marker.
block() {
	awk -v m="<!-- firstrun: $1" 'index($0, m) == 1 { f = 1; next }
	    f && /^```sh$/ { p = 1; next } p && /^```$/ { exit } p' README.md
}
block start >"$T/start.sh"
block check >"$T/check.sh"
grep -q '^coord-keygen .* setup alice' "$T/start.sh"
ok $? "README.md has the first-run block, with coord-keygen setup"
grep -q ' -s$' "$T/check.sh"
ok $? "README.md has the check block"

# A copy of the tree as it is (built), as a fresh clone that ran make.
src=$T/src
mkdir -p "$src" "$T/home"
tar -cf - --exclude=./t/tmp --exclude=./.git --exclude=node_modules . |
    tar -xf - -C "$src"
echo 'echo $! >"$T/supervisor.pid"' >>"$T/start.sh"
(cd "$src" && HOME=$T/home T=$T sh -e "$T/start.sh") >"$T/start.out" 2>&1
rc=$?
is "$rc" 0 "the start block runs, every line succeeding"
[ "$rc" -eq 0 ] || tail -n 20 "$T/start.out" | sed 's/^/# /'
sup=$(cat "$T/supervisor.pid" 2>/dev/null)
[ -n "$sup" ] && track_pid "$sup"
etc=$T/home/serai/etc

# coordinator.ini names no key_dir: the keys are in its folder's keys/.
is "$(stat -c %a "$etc/keys" 2>&1) $(stat -c %a "$etc/keys/"*.key |
    sort -u | tr '\n' ' ')" "700 600 " \
    "the keys are in ~/serai/etc/keys, mode 0700, each mode 0600"

check() {
	(cd "$etc" && PATH=$T/home/serai/bin:$PATH sh "$T/check.sh") \
	    >"$T/check.out" 2>&1
}
up4() {
	check || return 1
	for _s in archiver observer connector signer; do
		grep -Eq "^$_s +up" "$T/check.out" || return 1
	done
}
wait_for 60 up4
ok $? "the check block: the supervisor lists the four services up"
[ -f "$T/check.out" ] && sed 's/^/# /' "$T/check.out"
wait_for 30 sh -c "check() { (cd '$etc' && PATH='$T/home/serai/bin':\$PATH \
    sh '$T/check.sh'); }; check | grep -Eq 'published=[1-9]'"
ok $? "... and the observer says it published blocks of the dev node's chain"

# run_dir is relative (the default, run): from another directory the
# supervisor's socket is still found, in the configuration's folder.
out=$(cd / && "$T/home/serai/bin/supervisor" -f "$etc/coordinator.ini" -s 2>&1)
like "$out" "^observer +up" "supervisor -s from / finds run_dir beside the config"
[ -S "$etc/run/supervisor.sock" ]
ok $? "... in ~/serai/etc/run"

[ -n "$sup" ] && kill -TERM "$sup" &&
    wait_for 30 sh -c "! kill -0 $sup 2>/dev/null"
ok $? "SIGTERM stops the supervisor"
like "$(tail -n 1 "$etc/supervisor.log")" "supervisor: info: exiting 0" \
    "... with everything stopped, exit 0"

done_testing
