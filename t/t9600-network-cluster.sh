#!/bin/sh
# t9600: the validator network (t9010) on a Kafka cluster of three KRaft
# nodes (t/kafka.sh cluster-start: replication 3, min.insync.replicas 2,
# the offsets and transaction state logs too), through two faults while
# the chain makes a block every 500 ms (issue 12):
#   1. the node leading the busiest partitions (most records, from the
#      metadata's leaders and each partition's end offset) is SIGKILLed;
#      every observer goes on publishing blocks with two nodes; the node
#      is started again and every partition is back in sync on three;
#   2. all three nodes are stopped for 30 s and started again.
# Checked: no service exits while one node is down; after the outage
# the services whose consumer was fenced (its group session expired while
# the brokers were away: librdkafka #3437) or whose transaction timed out
# exit 111 and the supervisor starts them again, none is left running
# stuck, none exits otherwise; every observer publishes again (its
# transactions resume, no producer left fenced); every finalized block's
# events reached every validator once, in order, read_committed; every
# session completed once on every validator, no processor was given two
# different messages for one step; no dead letter but those the faults
# explain; each archive holds every record of its topics once; the logs
# say the brokers went away and why a service exited.
# Runs when KAFKA_KINDS names real (the default) or cluster.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
case " $(kafka_kinds) " in
*" real "* | *" cluster "*) ;;
*) skip_chosen "KAFKA_KINDS=$(kafka_kinds) leaves out the real brokers" ;;
esac
net_require
KAFKA_KINDS=cluster kafka_require
plan 37

V="alice bob carol dave"
kind=cluster

# topics_of DIR: every validator's topics, the signer's state topic too
topics_of() {
	for _n in $(net_names "$1"); do
		sed -n '/^\[topics\]/,/^$/s/^[a-z_]* = //p
		    s/^state_topic = //p' "$1/$_n/coord.ini"
	done
}

# published_past DIR N: every observer published a block N or later
published_past() {
	for _n in $(net_names "$1"); do
		_h=$(net_dump "$1" "$_n" serai_observation | jq -r 'select(.type ==
		    "BLOCK_UPDATE") | .body.number // "0"' | tail -n 1)
		[ "${_h:-0}" -ge "$2" ] || return 1
	done
}

# in_sync TOPIC...: every partition of the TOPICs has all three replicas
# in sync
in_sync() {
	kafka_leaders "$@" >"$T/isr"
	[ "$(wc -l <"$T/isr")" -ge "$#" ] &&
	    awk '{ if (split($4, a, ",") != 3) bad = 1 } END { exit bad }' \
	    "$T/isr"
}

# busiest TOPIC...: "LEADER RECORDS" per node, the one leading the most
# records first
busiest() {
	kafka_leaders "$@" | while read -r _t _p _l _i; do
		_o=$(kcat -Q -b "$BOOTSTRAP" -t "$_t:$_p:-1" 2>/dev/null |
		    awk '{ print $NF }')
		echo "$_l ${_o:-0}"
	done | awk '{ n[$1] += $2 } END { for (l in n) print l, n[l] }' |
	    sort -k2,2nr -k1,1n
}

# keygen_everywhere DIR: every observer published a KeyGen (a key pair
# made by the four went through the chain)
keygen_everywhere() {
	for _n in $(net_names "$1"); do
		[ -n "$(keygens "$1" "$_n")" ] || return 1
	done
}

# died DIR: the supervisor's "died" lines (a service exited and was
# restarted)
died() {
	grep ': died (' "$1/supervisor.log"
}

kafka_start cluster
KD=$T/kafka-cluster
like "$BOOTSTRAP" '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' \
    "three nodes: $BOOTSTRAP"
# settings KEY...: "KEY=VALUE" for each value KEY has in the nodes' logs
# (Kafka logs its configuration at start), with how many nodes say it
settings() {
	for _s in "$@"; do
		for _f in "$KD"/[123]/kafka.log; do
			sed -n "s/^	\($_s\) = \(.*\)/\1=\2/p" "$_f" | sort -u
		done | sort | uniq -c | awk '{ printf "%s:%d ", $2, $1 }'
	done
}
is "$(settings default.replication.factor min.insync.replicas \
    offsets.topic.replication.factor transaction.state.log.replication.factor \
    transaction.state.log.min.isr)" "default.replication.factor=3:3 \
min.insync.replicas=2:3 offsets.topic.replication.factor=3:3 \
transaction.state.log.replication.factor=3:3 transaction.state.log.min.isr=2:3 " \
    "each node: replication 3, min.insync.replicas 2, the offsets and" \
    "transaction state logs replicated 3 with a min ISR of 2"

D=$T/net
NET_SIGNING="preprocess_timeout = 20s
share_timeout = 20s" net_make "$D" $V
URL=http://$(cat "$D/rpc")/
net_start "$D"
net_wait 240 keygen_everywhere "$D"
ok $? "the network works on the cluster (a key pair on chain, seen by" \
    "every observer)"
# shellcheck disable=SC2046
set -- $(topics_of "$D")
ntopics=$#
in_sync "$@" __consumer_offsets __transaction_state
ok $? "the $ntopics topics of the four validators and the offsets and" \
    "transaction state logs have three replicas, in sync"
is "$(awk '{ print $4 }' "$T/isr" | awk -F, '{ print NF }' | sort -u)" 3 \
    "... every partition of them"

# 1. The node leading the busiest partitions: SIGKILL.
busiest "$@" >"$T/busiest"
sed 's/^/# leader /; s/$/ records/' "$T/busiest"
victim=$(head -n 1 "$T/busiest" | cut -d' ' -f1)
like "$victim" '^[123]$' "node $victim leads the busiest partitions"
h=$(head_num)
ms=$(date +%s%3N)
kafka_node_kill "$victim"
ok $? "node $victim SIGKILLed at block $h"
net_wait 90 published_past "$D" $((h + 10))
ok $? "every observer went on publishing with node $victim down (block" \
    "$((h + 10)) in $(( $(date +%s%3N) - ms )) ms)"
kafka_node_start "$victim"
ok $? "node $victim started again"
wait_for 90 in_sync "$@" __consumer_offsets __transaction_state
ok $? "... and every partition is back in sync on three nodes"

# 2. All three stopped for 30 s.
h=$(head_num)
echo "# outage" >>"$D/supervisor.log"
kafka_cluster_stop
ok $? "all three nodes stopped at block $h"
# The outage the issue asks for: 30 s with no broker, not a wait for a
# condition.
sleep 30
ms=$(date +%s%3N)
kafka_cluster_resume
ok $? "all three nodes started again"
h=$(head_num)
net_wait 120 published_past "$D" $((h + 4))
ok $? "every observer publishes again (block $((h + 4)) in" \
    "$(( $(date +%s%3N) - ms )) ms from the restart)"

# Then the chain stops and everything started must finish.
signing "$D" >"$D/signing.json"
before=$(jq -r 'select(.type == "PARTY_FORMED") | .body.sign_id' \
    "$D/signing.json" | sort -u | wc -l)
wait_for 60 head_at_least $((h + 24))
ok $? "the chain went on to block $((h + 24)), a new set's key generation"
is "$(net_rpc "$D" dev_pause '[true]')" true "the dev node stops producing"
net_wait 180 all_done "$D"
ok $? "every session started finished on all four" \
    "$(unfinished "$D/signing.json" | head -n 3 | tr '\n' ' ')"
# Every instruction on an observer's input has its result (a processor
# restarted by the outage may not have made one for a key generation
# that completed meanwhile: procsim keeps that in memory; not counted).
submitted() {
	for _n in $(net_names "$1"); do
		_i=$(net_dump "$1" "$_n" p2p_inbound | jq -r 'select(.type ==
		    "INSTRUCTION") | .intent' | sort -u | wc -l)
		[ "$_i" -gt 0 ] && [ "$(net_dump "$1" "$_n" serai_observation |
		    jq -r 'select(.type == "INSTRUCTION_RESULT") | .type' |
		    wc -l)" -ge "$_i" ] || return 1
	done
}
net_wait 60 submitted "$D"
ok $? "every observer published a result for every instruction it was" \
    "given"
net_rpc "$D" dev_produce '[1]' >/dev/null
H=$(head_num)
net_wait 120 caught_up "$D" "$H"
ok $? "every observer published up to the head, block $H"
net_wait 180 all_done "$D"
ok $? "... and every session finished on all four," \
    "$(jq -r 'select(.type == "PARTY_FORMED") | .body.sign_id' \
    "$D/signing.json" | sort -u | wc -l) sessions, $before before the" \
    "outage ended"

# Nothing lost, nothing twice.
expected 0 "$H" >"$D/expected"
for n in $V; do
	net_dump "$D" "$n" serai_observation >"$D/$n.obs"
	blocks "$D/$n.obs" | tr '\n' ' ' >"$D/$n.blocks"
	if [ "$(cat "$D/$n.blocks")" = "$(seq 0 "$H" | tr '\n' ' ')" ] &&
	    events "$D/$n.obs" | cmp -s - "$D/expected"; then r=0; else
		r=1; events "$D/$n.obs" | diff "$D/expected" - | head -n 5 |
		    sed 's/^/# /'
		uniq -d <"$D/$n.blocks" | head -n 3 | sed 's/^/# twice: /'
	fi
	ok $r "$n: blocks 0..$H once each, in order, with the events the" \
	    "node made ($(wc -l <"$D/expected") events)"
done
is "$(jq -r 'select(.type == "SIGN_COMPLETED") | .v + " " + .body.sign_id' \
    "$D/signing.json" | sort | uniq -d | wc -l)" 0 \
    "one SignCompleted per session on each validator"
# What each signer gave its processor: one message per session, attempt,
# stage and member.  A restart may hand one over again (a peer's connector
# resending from its log, the signer's dedupe set gone with its process):
# the same message, with the same intent, which the processor drops by
# intent; two different ones would be a double decision.
jq -r 'select(.type == "SIGN_MESSAGE" and (.from | endswith(".signer"))) |
    [.v, .body.sign_id, (.body.attempt // 0), .body.stage, .body.validator,
    .intent] | map(tostring) | join(" ")' "$D/signing.json" | sort |
    uniq >"$D/given"
is "$(cut -d' ' -f1-5 "$D/given" | uniq -d | wc -l)" 0 \
    "no processor was given two different messages for one session," \
    "attempt, stage and member"
diag "messages a processor was given again, same intent, after a" \
    "restart: $(jq -r 'select(.type == "SIGN_MESSAGE" and (.from |
    endswith(".signer"))) | .v + " " + .intent' "$D/signing.json" | sort |
    uniq -d | wc -l)"
is "$(grep -c "^[a-z]*\\.procsim: completed .* verified=no" \
    "$D/supervisor.log")" 0 "no result failed to verify"
# Dead letters: only what the faults explain (a key pair the node refused
# because it came after its session, a protocol message of an attempt
# already replaced or a session already done); none malformed, forged or
# from an unknown sender.
grep -h 'warning: rejected record ' "$D/supervisor.log" | grep -v -E \
    'the node refused the instruction|stale attempt|no such session|session completed at attempt' \
    >"$D/rejected"
is "$(wc -l <"$D/rejected")" 0 "no dead letter but those the faults explain" \
    "($(grep -c 'warning: rejected record ' "$D/supervisor.log") in all)"
head -n 3 "$D/rejected" | cut -c1-200 | sed 's/^/# /'

# Each binary recovered without a hand: the node's SIGKILL and restart
# cost no service its process; after the 30 s outage, a consumer whose
# group session expired meanwhile is fenced (librdkafka #3437: a static
# member rejoining after its session timed out) and the service exits
# 111, a temporary failure, and the supervisor starts it again.  Nothing
# else may exit, and none may be left running stuck (every session
# finishing on all four, above, needs every service).
died "$D" >"$D/died"
sed 's/^/# /' "$D/died"
is "$(sed -n '1,/^# outage$/p' "$D/supervisor.log" | grep -c ': died (')" 0 \
    "no service exited while a node was SIGKILLed and restarted"
is "$(grep -v ': died (exit:111) ' "$D/died" | wc -l)" 0 \
    "after the outage, every service that exited said temporary (111)" \
    "and was started again: $(wc -l <"$D/died") restarts"
net_up "$D"
ok $? "every service is up at the end"

# What the logs say: a broker going away, and why a service exits.
like "$(grep -c -E '^[a-z]+\.[a-z]+: ([a-z]+: )?warning: kafka: .*(Connection refused|brokers are down)' \
    "$D/supervisor.log")" '^[1-9]' \
    "the services say when brokers are away (connection refused, all" \
    "brokers down)"
bad=0
while read -r _ _ svc _; do
	svc=${svc%:}
	grep -q -E "^$svc: ([a-z]+: )?(fatal|error): " "$D/supervisor.log" || {
		bad=$((bad + 1)); echo "# $svc died without a fatal line"; }
done <"$D/died"
is "$bad" 0 "each service that exited said why (a fatal or error line)"
grep -h -E '^[a-z]+\.[a-z]+: ([a-z]+: )?(fatal|error): ' "$D/supervisor.log" |
    cut -c1-160 | sort | uniq -c | sort -rn | head -n 8 | sed 's/^/# /'

net_stop "$D"
ok $? "the network stopped"
for n in $V; do
	archive_check "$D" "$n" >"$D/$n.acheck"
	jq -r 'select(.topic != null) | "\(.topic) \(.partition) \(.offset)"' \
	    "$D/$n.export" | sort | uniq -d >"$D/$n.dup"
	like "$(head -n 1 "$D/$n.acheck") dup $(wc -l <"$D/$n.dup")" \
	    "^missing 0 extra 0 late [0-9]+ dup 0$" \
	    "$n: the archive holds every record of its topics once, none" \
	    "that is not, $(wc -l <"$D/$n.export") records"
	grep '^#' "$D/$n.acheck"
done
kafka_stop cluster
done_testing
