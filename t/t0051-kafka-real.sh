#!/bin/sh
# t0051: t/kafka.sh runs a real Apache Kafka broker (KRaft) from the jars
# Maven Central serves: it starts on free ports, answers kcat, keeps what it
# is given, and stops on request.
. t/lib.sh
. t/lib-kafka.sh
case " $(kafka_kinds) " in
*" real "*) ;;
*) skip_chosen "KAFKA_KINDS=$(kafka_kinds) leaves out the real broker" ;;
esac
KAFKA_KINDS=real kafka_require
plan 25

"$TOP/t/kafka.sh" bogus 2>"$T/usage"
is $? 100 "kafka.sh: a bad command is a usage error (exit 100)"
"$TOP/t/kafka.sh" start 2>/dev/null
is $? 100 "kafka.sh start without DIR is a usage error"
JAVA=no-such-java "$TOP/t/kafka.sh" start "$T/nojava" 2>"$T/nojava.err"
is $? 100 "a missing java is reported (exit 100)"
like "$(cat "$T/nojava.err")" 'no-such-java not found' "and named"

# A complete cache needs no Maven and no network.
MVN=no-such-mvn "$TOP/t/kafka.sh" fetch 2>"$T/offline"
is $? 0 "fetch with a complete cache runs no mvn"
KAFKA_CACHE=$T/cache-nomvn MVN=no-such-mvn "$TOP/t/kafka.sh" fetch \
    2>"$T/nomvn"
is $? 100 "an empty cache and no mvn: exit 100"
like "$(cat "$T/nomvn")" '^kafka.sh: fatal: no-such-mvn not found' \
    "and says mvn is missing"
KAFKA_CACHE=$T/cache-fail MVN=false "$TOP/t/kafka.sh" fetch 2>"$T/mvnfail"
is $? 111 "a failing fetch is a temporary failure (exit 111)"
like "$(tail -n 1 "$T/mvnfail")" 'mvn could not fetch Kafka' "and says so"
[ ! -e "$T/cache-fail" ]
ok $? "a failed fetch leaves no half cache"

kafka_start real
dir=$T/kafka-real
like "$BOOTSTRAP" '^127\.0\.0\.1:[0-9]+$' "bootstrap address $BOOTSTRAP"
is "$(cat "$dir/bootstrap")" "$BOOTSTRAP" "DIR/bootstrap names it"
pid=$(cat "$dir/pid")
kill -0 "$pid"
ok $? "DIR/pid names a live process ($pid)"
like "$(cat "/proc/$pid/cmdline" | tr '\0' ' ')" 'kafka\.Kafka' \
    "it is kafka.Kafka"
"$TOP/t/kafka.sh" start "$dir" >/dev/null 2>"$T/twice"
is $? 100 "a second start on the same DIR is refused"

kcat -L -b "$BOOTSTRAP" >"$T/meta" 2>&1
ok $? "kcat reads metadata"
like "$(grep '^  broker' "$T/meta")" "broker 1 at $BOOTSTRAP" \
    "one broker, at the bootstrap address"

printf 'one\ntwo\nthree\n' | kcat -P -b "$BOOTSTRAP" -t t0051 2>"$T/kp"
ok $? "kcat produces (topic auto-created)"
got=$(kcat -C -b "$BOOTSTRAP" -t t0051 -o beginning -e -q 2>"$T/kc")
is "$(echo $got)" "one two three" "kcat consumes it back"
like "$(kcat -L -b "$BOOTSTRAP" -t t0051 2>/dev/null)" 'with 1 partitions' \
    "auto-created topics have num.partitions=1"
version=$(sed -n 's/.*Kafka version: \([^ ]*\).*/\1/p' "$dir/kafka.log" | head -n 1)
like "$version" '^4\.' "the broker is Kafka $version"

t0=$(date +%s%N)
"$TOP/t/kafka.sh" stop "$dir"
is $? 0 "kafka.sh stop"
kill -0 "$pid" 2>/dev/null
ok $(( ! $? )) "the broker is gone after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[ ! -e "$dir/pid" ]
ok $? "DIR/pid is removed"
"$TOP/t/kafka.sh" stop "$dir"
is $? 0 "stopping a stopped broker is fine"

done_testing
