#!/bin/sh
# kafka.sh: a real Apache Kafka broker for the tests (KRaft, one node that is
# both broker and controller), run from the jars that t/kafka/pom.xml names.
#
#   kafka.sh fetch        copy the jars from Maven Central into the cache
#                         (once: a complete cache is never fetched again)
#   kafka.sh start DIR    format a log dir under DIR, start the broker on
#                         free 127.0.0.1 ports, wait until it takes a
#                         transactional produce, print its bootstrap address;
#                         DIR/bootstrap and DIR/pid name it, DIR/kafka.log
#                         has its log
#   kafka.sh stop DIR     SIGTERM, wait, SIGKILL after KAFKA_STOP_TIMEOUT
#
# Environment: KAFKA_CACHE (default $HOME/.cache/serai-coordinator/
# kafka-VERSION), KAFKA_START_TIMEOUT (60 s), KAFKA_STOP_TIMEOUT (30 s),
# KAFKA_HEAP (512m), JAVA (java), MVN (mvn).
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
usage() { die 100 "usage: kafka.sh fetch | start DIR | stop DIR"; }

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
	ls "$tmp/lib"/kafka_2.13-"$version".jar >/dev/null 2>&1 ||
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

start() {
	dir=$1
	need "$JAVA" "Kafka $version needs Java 17 or later"
	need python3 "used to find free ports"
	need kcat "used to check the broker answers"
	fetch
	mkdir -p "$dir" || die 111 "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		die 100 "a broker already runs from $dir (pid $(cat "$dir/pid"))"
	fi
	rm -rf "$dir/data" "$dir/pid" "$dir/bootstrap"
	port=$(free_port) && cport=$(free_port) ||
	    die 111 "cannot find free ports"
	while [ "$cport" = "$port" ]; do cport=$(free_port); done
	addr=127.0.0.1:$port
	cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://$addr,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://$addr
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.enable=false
EOF
	cat >"$dir/log4j2.properties" <<EOF
status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${KAFKA_LOG_LEVEL:-info}
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = warn
EOF
	cp="$cache/lib/*"
	# A cluster id is 16 random bytes in unpadded URL-safe base64.
	cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
	# shellcheck disable=SC2046
	if ! "$JAVA" $(jvm_opts) -Dlog4j2.configurationFile="$dir/log4j2.properties" \
	    -cp "$cp" kafka.tools.StorageTool format -t "$cid" \
	    -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
		cat "$dir/format.log" >&2
		die 111 "formatting $dir/data failed"
	fi
	# shellcheck disable=SC2046
	"$JAVA" $(jvm_opts) -Dlog4j2.configurationFile="$dir/log4j2.properties" \
	    -cp "$cp" kafka.Kafka "$dir/server.properties" \
	    </dev/null >"$dir/kafka.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	echo "$addr" >"$dir/bootstrap"
	deadline=$(( $(date +%s) + ${KAFKA_START_TIMEOUT:-60} ))
	# Ready once metadata answers and a transactional produce commits: the
	# transaction coordinator comes up only on its first use.
	while :; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$dir/kafka.out" "$dir/kafka.log" >&2
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

case "${1:-}" in
fetch)	[ $# -eq 1 ] || usage; fetch ;;
start)	[ $# -eq 2 ] || usage; start "$2" ;;
stop)	[ $# -eq 2 ] || usage; stop "$2" ;;
*)	usage ;;
esac
