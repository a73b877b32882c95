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
# Environment: KAFKA_CACHE (default $HOME/.cache/serai-coordinator/
# kafka-VERSION), KAFKA_START_TIMEOUT (60 s), KAFKA_STOP_TIMEOUT (30 s),
# KAFKA_HEAP (512m), KAFKA_LOG_LEVEL (info), KAFKA_NO_CDS (set: no
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

# write_config DIR ADDR CONTROLLER_ADDR LOGDIR
write_config() {
	cat >"$1/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$3
listeners=PLAINTEXT://$2,CONTROLLER://$3
advertised.listeners=PLAINTEXT://$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$4
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
	rm -rf "$dir/data" "$dir/pid" "$dir/bootstrap"
	port=$(free_port) && cport=$(free_port) ||
	    die 111 "cannot find free ports"
	while [ "$cport" = "$port" ]; do cport=$(free_port); done
	addr=127.0.0.1:$port
	write_config "$dir" "$addr" "127.0.0.1:$cport" "$dir/data"
	cp -R "$cache/template" "$dir/data" ||
	    die 111 "cannot copy $cache/template to $dir/data"
	cds=
	if [ -n "${KAFKA_CDS_DUMP:-}" ]; then
		cds=-XX:ArchiveClassesAtExit=$KAFKA_CDS_DUMP
	elif [ -z "${KAFKA_NO_CDS:-}" ] && [ -f "$(cds_archive)" ]; then
		cds=-XX:SharedArchiveFile=$(cds_archive)
	fi
	# shellcheck disable=SC2046,SC2086
	"$JAVA" $(jvm_opts) $cds \
	    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
	    -cp "$cache/lib/*" kafka.Kafka "$dir/server.properties" \
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

case "${1:-}" in
fetch)	[ $# -eq 1 ] || usage; fetch; prepare ;;
start)	[ $# -eq 2 ] || usage; start "$2" ;;
stop)	[ $# -eq 2 ] || usage; stop "$2" ;;
*)	usage ;;
esac
