#!/bin/sh
# t8010: deploy/runit, the service directories of the four services, under
# a real runsvdir with svlogd, for one validator (t/net/mknet.sh) on the
# dev broker or a real one and the dev node.  The directories are copied
# as they ship but for env/COORD_CONFIG and env/PATH.  Checked:
#   - sv -w 60 start, then sv check: each service up and ready (./check:
#     the binary's own -s), and not ready when it is stuck (SIGSTOP);
#   - run ends in exec: the supervised pid is the binary;
#   - its log reaches svlogd, stderr included, each line with a time;
#   - sv down stops it and it exits 0 (finish logs the exit code: runit
#     keeps none);
#   - a service whose key is bad (exit 100, a configuration error) is left
#     down by finish (sv down) after its one start, not restarted.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
. t/lib-deploy.sh
dep_require
for c in runsvdir runsv sv svlogd chpst; do
	need_cmd "$c" "the runit package"
done
kafka_require
plan $((7 + 33 * $(kafka_kinds | wc -w)))

for f in run check finish log/run env/COORD_CONFIG env/PATH env/COORD_USER; do
	d=
	for p in connector signer archiver; do
		sed "s/$p/observer/g" "$TOP/deploy/runit/$p/$f" |
		    cmp -s - "$TOP/deploy/runit/observer/$f" || d="$d $p"
	done
	is "$d" "" "deploy/runit/*/$f: the same for the four services"
done

# svstat NAME: sv status, the service named without its directory
svstat() {
	sv status "$S/$1" | sed "s|$S/||g"
}
# down_for_good NAME: down, not wanted up, finish done
down_for_good() {
	_s=$(sv status "$S/$1")
	case $_s in
	down:*"want up"*|*finish*) return 1 ;;
	down:*) return 0 ;;
	esac
	return 1
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	S=$D/service
	dep_validator "$D"
	dep_badkey "$D"
	dep_install runit "$S" "$D/alice/coord.ini"
	cp -R "$S/observer" "$S/badkey"
	echo "$D/bad/coord.ini" >"$S/badkey/env/COORD_CONFIG"

	# runsvdir leaves its runsv processes running on SIGTERM; on SIGHUP
	# it stops them (the exit cleanup sends SIGTERM: the wrapper turns it
	# into SIGHUP).
	sh -c 'runsvdir -P "$1" >/dev/null 2>&1 </dev/null & p=$!
	    trap "kill -HUP $p" TERM
	    wait $p; wait $p' sh "$S" &
	track_pid $!

	for p in $DEP_PROGS badkey; do
		wait_for 10 test -p "$S/$p/supervise/control" || {
			echo "Bail out! no runsv on $S/$p"
			exit 1
		}
	done
	for p in $DEP_PROGS; do
		# sv start waits for ./check; sv check passes a service that
		# is down (runit 2.1.2), so it comes second.
		sv -w 60 start "$S/$p" >"$D/$p.check"
		r=$?
		ok $r "$kind: $p up and ready (sv start, ./check):" \
		    "$(cat "$D/$p.check")"
		sv -w 10 check "$S/$p" >/dev/null
		ok $? "$kind: sv check: $p up and ready: $(svstat "$p")"
		[ $r -eq 0 ] || dep_show "$S/$p/log/main/current"
		pid=$(cat "$S/$p/supervise/pid")
		is "$(cat "/proc/$pid/comm" 2>&1)" "$p" \
		    "$kind: the supervised process is $p itself (run ends in exec)"
	done
	# ./check is the binary's word (-s): the observer stopped (SIGSTOP),
	# its status goes stale and ./check fails; continued, it passes.
	check_fails() { ! (cd "$S/observer" && ./check); }
	check_passes() { (cd "$S/observer" && ./check); }
	opid=$(cat "$S/observer/supervise/pid")
	kill -STOP "$opid"
	wait_for 20 check_fails
	r=$?
	kill -CONT "$opid"
	wait_for 20 check_passes
	ok $((r || $?)) "$kind: ./check fails while the observer is stuck," \
	    "passes once it goes on"

	wait_for 20 down_for_good badkey
	ok $? "$kind: the observer with a bad key is down, not wanted up:" \
	    "$(svstat badkey)"
	wait_for 10 grep -q 'exited 100' "$S/badkey/log/main/current"
	like "$(cat "$S/badkey/log/main/current")" \
	    "observer: fatal: .*observer.key" \
	    "$kind: its log says why (stderr reaches svlogd)"

	for p in $DEP_PROGS; do
		sv -w 30 down "$S/$p" >/dev/null
		ok $? "$kind: sv down stops $p: $(svstat "$p")"
		wait_for 10 grep -q "$p: exited" "$S/$p/log/main/current"
		like "$(grep "$p: exited" "$S/$p/log/main/current")" \
		    "^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]+ $p: exited 0$" \
		    "$kind: $p exited 0 (finish's line, timed by svlogd -tt)"
		like "$(svstat "$p")" \
		    "^down: $p: [0-9]+s, normally up; run: log: \\(pid [0-9]+\\)" \
		    "$kind: sv status: $p down, its logger up"
	done
	like "$(cat "$S/observer/log/main/current")" \
	    "^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]+ observer: [a-z]+: " \
	    "$kind: the observer's stderr reached svlogd"

	# Still down after all that, started once.
	down_for_good badkey
	ok $? "$kind: the bad key's observer is still down: $(svstat badkey)"
	is "$(grep -c 'exited 100' "$S/badkey/log/main/current")" 1 \
	    "$kind: ... after one start (not restarted)"

	# runsvdir starts a runsv again for a service directory whose runsv
	# exited, at its next scan (every 5 s): under a live runsvdir, sv
	# exit could see a new runsv and wait out its 30 s (CI once: the
	# observer and the bad key started again).  runsvdir goes first: on
	# SIGTERM it leaves its runsv processes running.
	rpid=$(pgrep -x -f "runsvdir -P $S")
	[ -n "$rpid" ] && kill -TERM $rpid &&
	    wait_for 10 sh -c "! kill -0 $rpid 2>/dev/null"
	ok $? "$kind: runsvdir stopped, its runsv processes left running" \
	    "(pid ${rpid:-none})"
	sv -w 30 exit "$S"/* >/dev/null
	ok $? "$kind: every runsv exits (sv exit)"
	# (a runsv works in its service directory)
	left=
	for pid in $(pgrep -x runsv); do
		case $(readlink "/proc/$pid/cwd") in
		"$S"/*) left="$left $pid" ;;
		esac
	done
	is "$left" "" "$kind: no runsv of ours left"
	kafka_stop "$kind"
done
done_testing
