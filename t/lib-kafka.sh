# lib-kafka.sh: Kafka brokers for the shell tests.  Source it after t/lib.sh:
#
#   . t/lib.sh
#   . t/lib-kafka.sh
#   kafka_require                 before any output: skip (fail in CI) if a
#                                 kind of kafka_kinds cannot run here
#   for kind in $(kafka_kinds); do
#           kafka_start "$kind"   exports BOOTSTRAP
#           ...
#           kafka_stop "$kind"    (or leave it to the exit cleanup)
#   done
#
#   kafka_kinds          "mock real", or $KAFKA_KINDS (e.g. KAFKA_KINDS=mock
#                        for a quick local run; CI runs both)
#   kafka_start KIND     mock: t/devbroker/devbroker -p none (random ports);
#                        real: t/kafka.sh start (Kafka from Maven Central);
#                        in $T/kafka-KIND; the pid is tracked for cleanup
#   kafka_stop KIND      stop it now
#
# A third kind, cluster (not in the default kinds: KAFKA_KINDS=cluster runs
# a test on it), is t/kafka.sh cluster-start: three KRaft nodes, topics
# auto-created with replication 3 and min.insync.replicas 2 (the suite's
# topics are made by the first use, as on the real broker: procsim -C),
# BOOTSTRAP naming all three.  Its nodes, 1 to 3, in $T/kafka-cluster:
#   kafka_node_kill I    SIGKILL node I      kafka_node_start I  start it again
#   kafka_cluster_stop   stop all three      kafka_cluster_resume  start them
#   kafka_leaders TOPIC...  "TOPIC PARTITION LEADER ISRS" per partition
#   is_todo GOT WANT NAME REASON
#                        like is, but a mismatch is a TAP TODO (a known gap,
#                        not a failure); a match reads "TODO passed" in prove
#   BUSTEST              path of t/devbroker/bustest, the bus checker
BUSTEST=$TOP/t/devbroker/bustest
DEVBROKER=$TOP/t/devbroker/devbroker

kafka_kinds() {
	echo "${KAFKA_KINDS:-mock real}"
}

kafka_require() {
	for _k in $(kafka_kinds); do
		case "$_k" in
		mock)
			[ -x "$DEVBROKER" ] && [ -x "$BUSTEST" ] ||
			    skip_all "t/devbroker not built: run make"
			;;
		real)
			need_cmd java "the real Kafka broker needs Java 17+"
			need_cmd kcat "kafka.sh checks the broker with kcat"
			need_cmd python3 "kafka.sh finds free ports with python3"
			"$TOP/t/kafka.sh" fetch >"$T/kafka-fetch.log" 2>&1 ||
			    skip_all "cannot fetch Kafka from Maven Central:" \
			    "$(tail -n 1 "$T/kafka-fetch.log")"
			;;
		cluster)
			need_cmd java "the Kafka cluster needs Java 17+"
			need_cmd kcat "kafka.sh checks the brokers with kcat"
			need_cmd python3 "kafka.sh finds free ports with python3"
			"$TOP/t/kafka.sh" fetch >"$T/kafka-fetch.log" 2>&1 ||
			    skip_all "cannot fetch Kafka from Maven Central:" \
			    "$(tail -n 1 "$T/kafka-fetch.log")"
			;;
		*)
			skip_all "KAFKA_KINDS: unknown kind $_k (mock, real," \
			    "cluster)"
			;;
		esac
	done
}

kafka_start() {
	_kd=$T/kafka-$1
	mkdir -p "$_kd"
	case "$1" in
	mock)
		rm -f "$_kd/bootstrap"
		"$DEVBROKER" -p none -a "$_kd/bootstrap" \
		    >"$_kd/stdout" 2>"$_kd/stderr" </dev/null &
		echo $! >"$_kd/pid"
		track_pid "$(cat "$_kd/pid")"
		if ! wait_for 10 test -s "$_kd/bootstrap"; then
			cat "$_kd/stderr" >&2
			echo "Bail out! the dev broker did not start"
			exit 1
		fi
		;;
	real)
		_ks=$(date +%s%N)
		if ! "$TOP/t/kafka.sh" start "$_kd" >/dev/null \
		    2>"$_kd/start.log"; then
			cat "$_kd/start.log" >&2
			[ -f "$_kd/pid" ] && track_pid "$(cat "$_kd/pid")"
			echo "Bail out! the real Kafka broker did not start"
			exit 1
		fi
		track_pid "$(cat "$_kd/pid")"
		diag "real Kafka broker up in" \
		    "$(( ($(date +%s%N) - _ks) / 1000000 )) ms"
		;;
	cluster)
		_ks=$(date +%s%N)
		if ! "$TOP/t/kafka.sh" cluster-start "$_kd" 3 >/dev/null \
		    2>"$_kd/start.log"; then
			cat "$_kd/start.log" >&2
			_kafka_track
			echo "Bail out! the Kafka cluster did not start"
			exit 1
		fi
		_kafka_track
		diag "Kafka cluster of 3 nodes up in" \
		    "$(( ($(date +%s%N) - _ks) / 1000000 )) ms"
		;;
	*)
		echo "Bail out! kafka_start: unknown kind $1"
		exit 1
		;;
	esac
	BOOTSTRAP=$(cat "$_kd/bootstrap")
	export BOOTSTRAP
}

kafka_stop() {
	_kd=$T/kafka-$1
	case "$1" in
	mock)
		[ -f "$_kd/pid" ] || return 0
		kill -TERM "$(cat "$_kd/pid")" 2>/dev/null
		wait "$(cat "$_kd/pid")" 2>/dev/null
		rm -f "$_kd/pid"
		;;
	real)
		"$TOP/t/kafka.sh" stop "$_kd"
		;;
	cluster)
		"$TOP/t/kafka.sh" cluster-stop "$_kd"
		;;
	esac
}

# _kafka_track: the cluster's running nodes are killed at exit
_kafka_track() {
	for _kn in 1 2 3; do
		[ -f "$T/kafka-cluster/$_kn/pid" ] &&
		    track_pid "$(cat "$T/kafka-cluster/$_kn/pid")"
	done
}

kafka_node_kill() {
	"$TOP/t/kafka.sh" broker-kill "$T/kafka-cluster" "$1"
}

kafka_node_start() {
	"$TOP/t/kafka.sh" broker-start "$T/kafka-cluster" "$1" >/dev/null
	_kr=$?
	_kafka_track
	return $_kr
}

kafka_cluster_stop() {
	"$TOP/t/kafka.sh" cluster-stop "$T/kafka-cluster"
}

kafka_cluster_resume() {
	"$TOP/t/kafka.sh" cluster-resume "$T/kafka-cluster" >/dev/null
	_kr=$?
	_kafka_track
	return $_kr
}

# kafka_leaders TOPIC...: each partition of the TOPICs, with its leader
# and in-sync replicas, from the cluster's metadata
kafka_leaders() {
	# (kcat -L takes one -t: ask for every topic, keep the TOPICs)
	kcat -L -b "$BOOTSTRAP" -m 5 2>/dev/null | awk -v want=" $* " '
	    $1 == "topic" { t = $2; gsub(/"/, "", t) }
	    $1 == "partition" && index(want, " " t " ") {
		p = $2; sub(/,/, "", p); l = $4; sub(/,/, "", l)
		print t, p, l, $NF }'
}

is_todo() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_tap_n - $3 # TODO $4"
	else
		echo "not ok $_tap_n - $3 # TODO $4"
		printf '#   got: %s\n# want: %s\n' "$1" "$2"
	fi
}
