#!/bin/sh
# t0057: each service stops within 5 s of SIGTERM when the broker has gone
# away under it (frozen with SIGSTOP: connections hang, no reset, the worst
# case for a flush), and says what it could not flush.  One validator
# (t/net/mknet.sh) on the dev broker or a real one and the dev node, blocks
# every 500 ms, so the observer has transactions in flight.  libcommon's
# svc_close gives Kafka SVC_STOP_MS (3 s) in all; transactional calls wait
# in slices and give up on SIGTERM; a commit in flight is one call, which
# libcommon/sig.c's stop cap (4 s after SIGTERM) cuts short, saying what
# was in flight.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
. t/lib-deploy.sh
dep_require
kafka_require
n=0
for kind in $(kafka_kinds); do n=$((n + 12)); done
plan $n

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	bpid=$(cat "$T/kafka-$kind/pid")
	D=$T/$kind
	dep_validator "$D"
	CONF=$D/alice/coord.ini
	for p in $DEP_PROGS; do
		rm -f "$D/$p.ready"
		"$TOP/$p/$p" -f "$CONF" -d 3 3>"$D/$p.ready" \
		    2>"$D/$p.log" </dev/null &
		pid=$!
		track_pid $pid
		wait_for 60 test -s "$D/$p.ready"
		ok $? "$kind: $p is ready"
		# Let it work a moment on the live broker: the observer
		# publishes a block or two, the others heartbeat.
		if [ "$p" = observer ]; then
			wait_for 30 grep -q 'published\|block' "$D/$p.log"
		fi
		kill -STOP "$bpid"
		t0=$(date +%s%N)
		kill -TERM $pid
		wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
		r=$?
		ok $r "$kind: $p exits within 5 s of SIGTERM, the broker frozen"
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		kill -CONT "$bpid"
		wait $pid
		rc=$?
		diag "$kind: $p stopped $ms ms after SIGTERM (5 s at most" \
		    "waited), exit $rc; its last words:"
		tail -n 3 "$D/$p.log" | cut -c1-200 | sed 's/^/#   /'
		case $rc in 0|111) r=0 ;; *) r=1 ;; esac
		ok $r "$kind: $p's exit is 0 or 111 ($rc), not a crash"
	done
	kafka_stop "$kind"
done
