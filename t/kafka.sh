#!/bin/sh
# kafka.sh: a real Apache Kafka broker for the tests (KRaft, one node that is
# both broker and controller), run from the jars that t/kafka/pom.xml names.
#
#   kafka.sh fetch        copy the jars from Maven Central into the cache,
#                         format a template log dir and record a class-data
#                         sharing archive of a broker start (once: a complete
#                         cache is never fetched again)
#   kafka.sh start DIR    copy the template log dir under DIR, start the
#                         broker on free 127.0.0.1 ports, wait until it takes
#                         a transactional produce, print its bootstrap
#                         address; DIR/bootstrap and DIR/pid name it,
#                         DIR/kafka.log has its log
#   kafka.sh stop DIR     SIGTERM, wait, SIGKILL after KAFKA_STOP_TIMEOUT
#
# A cluster of N nodes (default 3), each both broker and controller (KRaft
# combined mode), a static quorum (controller.quorum.voters) on 127.0.0.1;
# topics default to replication factor min(N, 3) and min.insync.replicas
# one less (3 and 2), the offsets and transaction state logs too:
#
#   kafka.sh cluster-start DIR [N]
#                         start N nodes in DIR/1 .. DIR/N (each as start's
#                         DIR: its pid, kafka.log), wait until all N serve
#                         and a transactional produce commits, print the
#                         bootstrap list; DIR/bootstrap names it, DIR/nodes
#                         holds N, DIR/I/bootstrap node I's address.  The
#                         ports are chosen once: a node started again takes
#                         the same ones, with its log dir as it left it
#   kafka.sh cluster-stop DIR      stop every node (SIGTERM, all at once)
#   kafka.sh cluster-resume DIR    start every stopped node again, data
#                         kept, and wait as cluster-start does
#   kafka.sh broker-kill DIR I     SIGKILL node I and wait until it is gone
#   kafka.sh broker-stop DIR I     stop node I (as stop)
#   kafka.sh broker-start DIR I    start node I again (its data kept), wait
#                         until it serves metadata naming itself
#
# Environment: KAFKA_CACHE (default $HOME/.cache/serai-coordinator/
# kafka-VERSION), KAFKA_START_TIMEOUT (60 s, a cluster 120 s),
# KAFKA_STOP_TIMEOUT (30 s, cluster-stop 10 s),
# KAFKA_HEAP (512m, a cluster's nodes 256m), KAFKA_LOG_LEVEL (info), KAFKA_NO_CDS (set: no
# class-data sharing archive), JAVA (java), MVN (mvn).
#
# Exit codes: 0 ok, 100 usage or a missing program, 111 fetch, start or
# stop failure.
set -u
prog=kafka.sh
here=$(cd "$(dirname "$0")" && pwd)
pom=$here/kafka/pom.xml
JAVA=${JAVA:-java}
MVN=${MVN:-mvn}

die() { code=$1; shift; echo "$prog: fatal: $*" >&2; exit "$code"; }
info() { echo "$prog: info: $*" >&2; }
usage() {
	die 100 "usage: kafka.sh fetch | start DIR | stop DIR |" \
	    "cluster-start DIR [N] | cluster-stop DIR | cluster-resume DIR |" \
	    "broker-kill DIR I | broker-stop DIR I | broker-start DIR I"
}

version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
[ -n "$version" ] || die 100 "no <kafka.version> in $pom"
cache=${KAFKA_CACHE:-${HOME:-/tmp}/.cache/serai-coordinator/kafka-$version}
# The cache is complete when its stamp holds the checksum of the pom that
# filled it: a changed pom fetches again.
stamp=$(cksum <"$pom" | cut -d' ' -f1)

need() {
	command -v "$1" >/dev/null 2>&1 ||
	    die 100 "$1 not found: $2 (make deps installs it)"
}

fetch() {
	if [ -f "$cache/.complete" ] &&
	    [ "$(cat "$cache/.complete")" = "$stamp" ]; then
		return 0
	fi
	need "$MVN" "Maven is needed to fetch Kafka $version"
	mkdir -p "$(dirname "$cache")" ||
	    die 111 "cannot create $(dirname "$cache")"
	tmp=$cache.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp" || die 111 "cannot create $tmp"
	info "fetching Kafka $version from Maven Central into $cache"
	# target/ would land beside the pom: keep it in the temp dir.
	if ! "$MVN" -q -B -f "$pom" dependency:copy-dependencies \
	    -DincludeScope=runtime -DoutputDirectory="$tmp/lib" \
	    -Dproject.build.directory="$tmp/target" >"$tmp.log" 2>&1; then
		tail -n 20 "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		die 111 "mvn could not fetch Kafka $version (network? see above)"
	fi
	rm -f "$tmp.log"
	rm -rf "$tmp/target"
	[ -f "$tmp/lib/kafka_2.13-$version.jar" ] ||
	    { rm -rf "$tmp"; die 111 "fetch gave no kafka_2.13-$version.jar"; }
	echo "$stamp" >"$tmp/.complete"
	rm -rf "$cache"
	mv "$tmp" "$cache" || die 111 "cannot rename $tmp to $cache"
}

# free_port: print a TCP port on 127.0.0.1 that nobody listens on now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

jvm_opts() {
	# A small, fast-starting JVM: tests want startup time, not throughput.
	echo "-Xmx${KAFKA_HEAP:-512m} -Xms64m -Xss512k -XX:+UseSerialGC" \
	    "-XX:TieredStopAtLevel=1 -Xshare:auto -XX:+ExitOnOutOfMemoryError" \
	    "-Djava.awt.headless=true -Dlog4j2.disable.jmx=true"
}

# The archive fits one JVM: name it after the java binary's path and mtime.
cds_archive() {
	jbin=$(readlink -f "$(command -v "$JAVA")")
	echo "$cache/kafka-$(echo "$jbin $(stat -c %Y "$jbin")" |
	    cksum | cut -d' ' -f1).jsa"
}

# write_config DIR ADDR CONTROLLER_ADDR LOGDIR [NODE VOTERS REPLICAS]
# One node: node 1, its own voter, replication 1.  In a cluster: node NODE
# of VOTERS (controller.quorum.voters), topics and internal logs with
# REPLICAS replicas and min.insync.replicas one less (at least 1), so that
# acks=all survives one node down and refuses a write two nodes down.
write_config() {
	node=${5:-1}
	voters=${6:-1@$3}
	rf=${7:-1}
	isr=$((rf > 1 ? rf - 1 : 1))
	parts=$((rf > 1 ? 3 : 1))
	cat >"$1/server.properties" <<EOF
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://$2,CONTROLLER://$3
advertised.listeners=PLAINTEXT://$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$4
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
auto.create.topics.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=$parts
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=$parts
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.enable=false
EOF
	cat >"$1/log4j2.properties" <<EOF
status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = $1/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${KAFKA_LOG_LEVEL:-info}
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = warn
EOF
}

# prepare: what makes a start fast, made once per cache: a formatted log dir
# to copy (the format tool is a JVM start of its own) and a class-data
# sharing archive of a broker's startup (AppCDS).  The log dir records no
# port (the quorum is static, controller.quorum.voters), so one serves all.
prepare() {
	need "$JAVA" "Kafka $version needs Java 17 or later"
	if [ ! -d "$cache/template" ]; then
		tdir=$cache/template.tmp.$$
		rm -rf "$tdir"
		mkdir -p "$tdir" || die 111 "cannot create $tdir"
		write_config "$tdir" 127.0.0.1:9 127.0.0.1:19 "$tdir/data"
		# A cluster id: 16 random bytes, unpadded URL-safe base64.
		cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' |
		    cut -c1-22)
		# shellcheck disable=SC2046
		if ! "$JAVA" $(jvm_opts) \
		    -Dlog4j2.configurationFile="$tdir/log4j2.properties" \
		    -cp "$cache/lib/*" kafka.tools.StorageTool format \
		    -t "$cid" -c "$tdir/server.properties" \
		    >"$tdir/format.log" 2>&1; then
			cat "$tdir/format.log" >&2
			rm -rf "$tdir"
			die 111 "formatting a KRaft log dir failed"
		fi
		# Another start may have made one meanwhile: keep either.
		mv -T "$tdir/data" "$cache/template" 2>/dev/null
		rm -rf "$tdir"
		[ -d "$cache/template" ] || die 111 "no $cache/template"
	fi
	if [ -z "${KAFKA_NO_CDS:-}" ] && [ ! -f "$(cds_archive)" ]; then
		info "recording a class-data sharing archive (once)"
		wdir=$cache/warmup.$$
		jsa=$(cds_archive).tmp.$$
		rm -rf "$wdir"
		if (KAFKA_CDS_DUMP=$jsa start "$wdir" >/dev/null) &&
		    (stop "$wdir") && [ -s "$jsa" ]; then
			mv "$jsa" "$(cds_archive)"
		else
			echo "$prog: warning: no class-data sharing archive:" \
			    "starts will be slower" >&2
			rm -f "$jsa"
		fi
		rm -rf "$wdir"
	fi
}

# launch DIR: the broker of DIR/server.properties in the background, its
# pid in DIR/pid
launch() {
	cds=
	if [ -n "${KAFKA_CDS_DUMP:-}" ]; then
		cds=-XX:ArchiveClassesAtExit=$KAFKA_CDS_DUMP
	elif [ -z "${KAFKA_NO_CDS:-}" ] && [ -f "$(cds_archive)" ]; then
		cds=-XX:SharedArchiveFile=$(cds_archive)
	fi
	# shellcheck disable=SC2046,SC2086
	"$JAVA" $(jvm_opts) $cds \
	    -Dlog4j2.configurationFile="$1/log4j2.properties" \
	    -cp "$cache/lib/*" kafka.Kafka "$1/server.properties" \
	    </dev/null >>"$1/kafka.out" 2>&1 &
	echo $! >"$1/pid"
}

start() {
	dir=$1
	need "$JAVA" "Kafka $version needs Java 17 or later"
	need python3 "used to find free ports"
	need kcat "used to check the broker answers"
	fetch
	[ -n "${KAFKA_CDS_DUMP:-}" ] || prepare
	mkdir -p "$dir" || die 111 "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		die 100 "a broker already runs from $dir (pid $(cat "$dir/pid"))"
	fi
	rm -rf "$dir/data" "$dir/pid" "$dir/bootstrap" "$dir/kafka.out"
	port=$(free_port) && cport=$(free_port) ||
	    die 111 "cannot find free ports"
	while [ "$cport" = "$port" ]; do cport=$(free_port); done
	addr=127.0.0.1:$port
	write_config "$dir" "$addr" "127.0.0.1:$cport" "$dir/data"
	cp -R "$cache/template" "$dir/data" ||
	    die 111 "cannot copy $cache/template to $dir/data"
	launch "$dir"
	pid=$(cat "$dir/pid")
	echo "$addr" >"$dir/bootstrap"
	deadline=$(( $(date +%s) + ${KAFKA_START_TIMEOUT:-60} ))
	# Ready once metadata answers and a transactional produce commits: the
	# transaction coordinator comes up only on its first use.
	while :; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$dir/kafka.out" "$dir/kafka.log" >&2
			rm -f "$dir/pid"
			die 111 "the broker exited during startup"
		fi
		if kcat -L -b "$addr" -m 2 -t kafka-sh-ready >/dev/null 2>&1 &&
		    echo ready | kcat -P -b "$addr" -t kafka-sh-ready -m 5 \
		    -X transactional.id=kafka-sh-ready \
		    -X enable.idempotence=true >/dev/null 2>&1; then
			break
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			tail -n 30 "$dir/kafka.out" "$dir/kafka.log" >&2
			stop "$dir"
			die 111 "the broker at $addr did not answer in" \
			    "${KAFKA_START_TIMEOUT:-60} s"
		fi
		sleep 0.1
	done
	echo "$addr"
}

stop() {
	dir=$1
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill -TERM "$pid" 2>/dev/null || { rm -f "$dir/pid"; return 0; }
	deadline=$(( $(date +%s) + ${KAFKA_STOP_TIMEOUT:-30} ))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "$prog: warning: pid $pid ignored SIGTERM: SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	rm -f "$dir/pid"
}

# prepare_cluster N: log dirs for nodes 1..N of one cluster, formatted once
# per cache like the single node's template (the quorum is static, no port
# is recorded), in $cache/cluster-N/I
prepare_cluster() {
	[ -d "$cache/cluster-$1" ] && return 0
	cdir=$cache/cluster-$1.tmp.$$
	rm -rf "$cdir"
	mkdir -p "$cdir" || die 111 "cannot create $cdir"
	cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
	voters=
	i=1
	while [ "$i" -le "$1" ]; do
		voters=$voters${voters:+,}$i@127.0.0.1:$((18 + i))
		i=$((i + 1))
	done
	i=1
	while [ "$i" -le "$1" ]; do
		mkdir -p "$cdir/conf$i"
		write_config "$cdir/conf$i" 127.0.0.1:9 127.0.0.1:$((18 + i)) \
		    "$cdir/$i" "$i" "$voters" 3
		# shellcheck disable=SC2046
		if ! "$JAVA" $(jvm_opts) \
		    -Dlog4j2.configurationFile="$cdir/conf$i/log4j2.properties" \
		    -cp "$cache/lib/*" kafka.tools.StorageTool format \
		    -t "$cid" -c "$cdir/conf$i/server.properties" \
		    >"$cdir/format.log" 2>&1; then
			cat "$cdir/format.log" >&2
			rm -rf "$cdir"
			die 111 "formatting node $i's KRaft log dir failed"
		fi
		rm -rf "$cdir/conf$i"
		i=$((i + 1))
	done
	rm -f "$cdir/format.log"
	mv -T "$cdir" "$cache/cluster-$1" 2>/dev/null
	rm -rf "$cdir"
	[ -d "$cache/cluster-$1" ] || die 111 "no $cache/cluster-$1"
}

# node_ready DIR I: node I serves metadata that names it as a broker
node_ready() {
	kcat -L -b "$(cat "$1/$2/bootstrap")" -m 2 2>/dev/null |
	    grep -q "^  broker $2 at "
}

# cluster_ready DIR: every node is a broker in the metadata and a
# transactional produce to a replicated topic commits (which makes the
# transaction state log, replicated too, on its first use)
cluster_ready() {
	[ "$(kcat -L -b "$(cat "$1/bootstrap")" -m 2 -t kafka-sh-ready \
	    2>/dev/null | grep -c '^  broker ')" -eq "$(cat "$1/nodes")" ] &&
	    echo ready | kcat -P -b "$(cat "$1/bootstrap")" -t kafka-sh-ready \
	    -m 5 -X transactional.id=kafka-sh-ready \
	    -X enable.idempotence=true -X acks=all >/dev/null 2>&1
}

# wait_node DIR I COND: until COND DIR holds; fails (and says why) if
# node I exits or KAFKA_START_TIMEOUT passes
wait_node() {
	deadline=$(( $(date +%s) + ${KAFKA_START_TIMEOUT:-120} ))
	until "$3" "$1" "$2"; do
		for n in $(seq 1 "$(cat "$1/nodes")"); do
			[ "$2" = all ] || [ "$2" = "$n" ] || continue
			if ! kill -0 "$(cat "$1/$n/pid" 2>/dev/null)" \
			    2>/dev/null; then
				tail -n 30 "$1/$n/kafka.out" \
				    "$1/$n/kafka.log" >&2
				rm -f "$1/$n/pid"
				echo "$prog: error: node $n exited during" \
				    "startup" >&2
				return 1
			fi
		done
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "$prog: error: node $2 of $1 not ready in" \
			    "${KAFKA_START_TIMEOUT:-120} s" >&2
			return 1
		fi
		sleep 0.2
	done
}

cluster_start() {
	dir=$1
	nodes=$2
	case "$nodes" in
	[1-9]) ;;
	*) die 100 "cluster-start: N is a number of nodes, 1 to 9" ;;
	esac
	need "$JAVA" "Kafka $version needs Java 17 or later"
	need python3 "used to find free ports"
	need kcat "used to check the brokers answer"
	fetch
	prepare
	prepare_cluster "$nodes"
	mkdir -p "$dir" || die 111 "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	for i in $(seq 1 "$nodes"); do
		if [ -f "$dir/$i/pid" ] &&
		    kill -0 "$(cat "$dir/$i/pid")" 2>/dev/null; then
			die 100 "node $i already runs from $dir/$i" \
			    "(pid $(cat "$dir/$i/pid"))"
		fi
	done
	ports=$(python3 -c 'import socket, sys
ss = []
for _ in range(2 * int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$nodes") ||
	    die 111 "cannot find free ports"
	voters=
	boot=
	for i in $(seq 1 "$nodes"); do
		p=$(echo "$ports" | cut -d' ' -f$((2 * i - 1)))
		c=$(echo "$ports" | cut -d' ' -f$((2 * i)))
		voters=$voters${voters:+,}$i@127.0.0.1:$c
		boot=$boot${boot:+,}127.0.0.1:$p
	done
	rf=$((nodes < 3 ? nodes : 3))
	for i in $(seq 1 "$nodes"); do
		p=$(echo "$ports" | cut -d' ' -f$((2 * i - 1)))
		c=$(echo "$ports" | cut -d' ' -f$((2 * i)))
		rm -rf "${dir:?}/$i"
		mkdir -p "$dir/$i" || die 111 "cannot create $dir/$i"
		write_config "$dir/$i" "127.0.0.1:$p" "127.0.0.1:$c" \
		    "$dir/$i/data" "$i" "$voters" "$rf"
		cp -R "$cache/cluster-$nodes/$i" "$dir/$i/data" ||
		    die 111 "cannot copy $cache/cluster-$nodes/$i"
		echo "127.0.0.1:$p" >"$dir/$i/bootstrap"
	done
	echo "$nodes" >"$dir/nodes"
	echo "$boot" >"$dir/bootstrap"
	for i in $(seq 1 "$nodes"); do
		launch "$dir/$i"
	done
	if ! wait_node "$dir" all cluster_ready; then
		cluster_stop "$dir"
		die 111 "the cluster at $boot did not come up"
	fi
	echo "$boot"
}

# cluster_resume DIR: start again every node that is not running, their
# log dirs as they left them, and wait until the cluster serves
cluster_resume() {
	[ -f "$1/nodes" ] || die 100 "no cluster in $1 (no $1/nodes)"
	for i in $(seq 1 "$(cat "$1/nodes")"); do
		if ! kill -0 "$(cat "$1/$i/pid" 2>/dev/null)" 2>/dev/null; then
			launch "$1/$i"
		fi
	done
	wait_node "$1" all cluster_ready ||
	    die 111 "the cluster at $(cat "$1/bootstrap") did not come back"
	cat "$1/bootstrap"
}

cluster_stop() {
	[ -f "$1/nodes" ] || return 0
	# The last node to stop has no quorum left to confirm its controlled
	# shutdown and waits for it: 10 s, not 30, before its SIGKILL.
	KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-10}
	for i in $(seq 1 "$(cat "$1/nodes")"); do
		[ -f "$1/$i/pid" ] && kill -TERM "$(cat "$1/$i/pid")" 2>/dev/null
	done
	for i in $(seq 1 "$(cat "$1/nodes")"); do
		stop "$1/$i"
	done
}

# node_arg DIR I: check that I names a node of the cluster in DIR
node_arg() {
	[ -f "$1/nodes" ] || die 100 "no cluster in $1 (no $1/nodes)"
	case "$2" in
	[1-9]) [ "$2" -le "$(cat "$1/nodes")" ] && return 0 ;;
	esac
	die 100 "$2: not a node of $1 (1 to $(cat "$1/nodes"))"
}

broker_kill() {
	[ -f "$1/$2/pid" ] || die 111 "node $2 of $1 is not running"
	pid=$(cat "$1/$2/pid")
	kill -KILL "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.05
	done
	rm -f "$1/$2/pid"
}

broker_start() {
	if [ -f "$1/$2/pid" ] && kill -0 "$(cat "$1/$2/pid")" 2>/dev/null; then
		die 100 "node $2 already runs from $1/$2 (pid $(cat "$1/$2/pid"))"
	fi
	launch "$1/$2"
	wait_node "$1" "$2" node_ready ||
	    die 111 "node $2 at $(cat "$1/$2/bootstrap") did not come back"
	cat "$1/$2/bootstrap"
}

case "${1:-}" in
fetch)	[ $# -eq 1 ] || usage; fetch; prepare ;;
start)	[ $# -eq 2 ] || usage; start "$2" ;;
stop)	[ $# -eq 2 ] || usage; stop "$2" ;;
cluster-start)
	KAFKA_HEAP=${KAFKA_HEAP:-256m}
	[ $# -eq 2 ] || [ $# -eq 3 ] || usage
	cluster_start "$2" "${3:-3}" ;;
cluster-stop)
	[ $# -eq 2 ] || usage; cluster_stop "$2" ;;
cluster-resume)
	KAFKA_HEAP=${KAFKA_HEAP:-256m}
	[ $# -eq 2 ] || usage; cluster_resume "$2" ;;
broker-kill|broker-stop|broker-start)
	KAFKA_HEAP=${KAFKA_HEAP:-256m}
	[ $# -eq 3 ] || usage
	node_arg "$2" "$3"
	case "$1" in
	broker-kill) broker_kill "$2" "$3" ;;
	broker-stop) stop "$2/$3" ;;
	broker-start) broker_start "$2" "$3" ;;
	esac ;;
*)	usage ;;
esac
