#!/bin/sh
# t8000: deploy/s6, the service directories of the four services, under a
# real s6-svscan, for one validator (t/net/mknet.sh) on the dev broker or a
# real one and the dev node.  The directories are copied as they ship but
# for env/COORD_CONFIG and env/PATH.  Checked:
#   - each service comes up and ready: s6-svwait -U, readiness from the
#     binary's own -d newline on notification-fd;
#   - run ends in exec: the supervised pid is the binary;
#   - its log reaches s6-log, stderr included, each line with a time;
#   - s6-svc -d stops it, and s6-svstat shows exit code 0;
#   - a service whose key is bad (exit 100, a configuration error) is left
#     down by finish (exit 125) after its one start, not restarted.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
. t/lib-deploy.sh
dep_require
for c in s6-svscan s6-svscanctl s6-svok s6-svwait s6-svstat s6-svc s6-log s6-envdir; do
	need_cmd "$c" "the s6 package"
done
kafka_require
plan $((7 + 30 * $(kafka_kinds | wc -w)))

# The four services as they ship are the same script with another name.
for f in run finish log/run notification-fd env/COORD_CONFIG env/PATH \
    env/COORD_USER; do
	d=
	for p in connector signer archiver; do
		sed "s/$p/observer/g" "$TOP/deploy/s6/$p/$f" |
		    cmp -s - "$TOP/deploy/s6/observer/$f" || d="$d $p"
	done
	is "$d" "" "deploy/s6/*/$f: the same for the four services"
done

svstat() { s6-svstat -o "$2" "$S/$1"; }

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	S=$D/scan
	dep_validator "$D"
	dep_badkey "$D"
	dep_install s6 "$S" "$D/alice/coord.ini"
	cp -R "$S/observer" "$S/badkey"
	echo "$D/bad/coord.ini" >"$S/badkey/env/COORD_CONFIG"

	s6-svscan "$S" >"$D/svscan.log" 2>&1 </dev/null &
	svscan=$!
	track_pid $svscan

	for p in $DEP_PROGS badkey; do
		wait_for 10 s6-svok "$S/$p" || {
			echo "Bail out! no s6-supervise on $S/$p"
			exit 1
		}
	done
	for p in $DEP_PROGS; do
		s6-svwait -U -t 60000 "$S/$p"
		r=$?
		ok $r "$kind: $p up and ready (s6-svwait -U)"
		[ $r -eq 0 ] || dep_show "$S/$p/log/main/current"
		is "$(svstat "$p" up,ready)" "true true" \
		    "$kind: s6-svstat: $p up, ready"
		pid=$(svstat "$p" pid)
		is "$(cat "/proc/$pid/comm" 2>&1)" "$p" \
		    "$kind: the supervised process is $p itself (run ends in exec)"
	done

	# The bad key: one start, exit 100, finish says 125, left down.
	wait_for 20 sh -c "[ \"\$(s6-svstat -o up,wantedup,exitcode \
	    '$S/badkey')\" = 'false false 100' ]"
	ok $? "$kind: the observer with a bad key exited 100 and s6 wants" \
	    "it down: $(svstat badkey up,wantedup,normallyup,exitcode)"
	like "$(cat "$S/badkey/log/main/current")" \
	    "observer: fatal: .*observer.key" \
	    "$kind: its log says why (stderr reaches s6-log)"

	for p in $DEP_PROGS; do
		s6-svc -d "$S/$p"
		s6-svwait -D -t 30000 "$S/$p"
		ok $? "$kind: s6-svc -d stops $p"
		is "$(svstat "$p" up,wantedup,exitcode,signum)" "false false 0 -1" \
		    "$kind: $p exited 0 (s6-svstat)"
		like "$(cat "$S/$p/log/main/current")" \
		    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+ +$p: exited 0$" \
		    "$kind: finish logged it, with a time (s6-log T)"
	done
	like "$(cat "$S/observer/log/main/current")" \
	    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+ +observer: [a-z]+: " \
	    "$kind: the observer's stderr reached s6-log"

	# Still down after all that, started once.
	is "$(svstat badkey up,wantedup,exitcode)" "false false 100" \
	    "$kind: the bad key's observer is still down"
	is "$(grep -c 'exited 100' "$S/badkey/log/main/current")" 1 \
	    "$kind: ... after one start (not restarted)"

	s6-svscanctl -t "$S"
	wait_for 30 sh -c "! kill -0 $svscan 2>/dev/null"
	ok $? "$kind: s6-svscan and its supervisors exit"
	kafka_stop "$kind"
done
done_testing
