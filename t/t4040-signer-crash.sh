#!/bin/sh
# t4040: a signer killed (SIGKILL) mid-session resumes from its decision
# log where it was: its processor is not told of the party again, no
# session completes twice, no processor signs a session twice.  First one
# kill at a known point (the party formed, a member's processor stopped),
# then three kills while six sessions run.  On the dev broker and a real
# one.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
kafka_require
# 32 per broker kind
plan $(($(kafka_kinds | wc -w) * 32))

V="alice bob carol dave"
SG_SIGNING="preprocess_timeout = 60s
share_timeout = 60s"

in_list() { case ",$2," in *",$1,"*) return 0 ;; esac; return 1; }
lines() { grep -c "$1" "$2" 2>/dev/null || true; }

in_log() { sg_status "$D" alice | grep -q "^session $1 .*member=yes"; }

restart_alice() {
	kill -KILL "$(cat "$D/alice/signer.pid")"
	wait "$(cat "$D/alice/signer.pid")" 2>/dev/null
	sg_signer "$D" alice
}

# once ID16: every validator's processor saw it completed (verified), and
# each validator's signing topic has exactly one SignCompleted for it
once() {
	_all=0
	for n in $V; do
		wait_for 90 sg_completed "$D" "$n" "$1" || _all=1
	done
	ok $_all "$kind: $1 completed and verified on all four"
	_b=$(jhex "$2")
	_c=
	for n in $V; do
		_c="$_c$(sg_count_type "$D" "$n" signing SIGN_COMPLETED "$_b")"
	done
	is "$_c" 1111 "$kind: $1: one SignCompleted on each signing topic"
	_c=
	for n in $V; do
		_c="$_c$(lines "^share $1 attempt=0" "$D/$n/procsim.out")"
	done
	like "$_c" '^[01]{4}$' "$kind: $1: no processor shared twice ($_c)"
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	sg_net "$D" $V
	sg_topics "$D" $V
	for n in $V; do
		sg_signer "$D" "$n"
		sg_procsim "$D" "$n"
	done
	sg_relay "$D" $V

	# 1. Killed with the party formed and the session stuck on bob.
	B=$(hex32)
	while :; do
		ID=$(hex32)
		p0=$(sg_pyparty "$D" 1 "$B" "$ID" 0 0 $V)
		in_list alice "$p0" && in_list bob "$p0" && break
	done
	s=$(echo "$ID" | cut -c1-16)
	kill -STOP "$(cat "$D/bob/procsim.pid")"
	rq=
	for n in $V; do
		sg_request "$D" "$n" 1 1 "$ID" "$B" &
		rq="$rq $!"
	done
	# shellcheck disable=SC2086
	wait $rq
	wait_for 30 grep -q "^formed $s attempt=0" "$D/alice/procsim.out"
	ok $? "$kind: alice's processor was told of the party"
	# The dev broker shows records of a transaction before it commits:
	# there, also wait until the decision is in alice's log.
	wait_for 30 in_log "$ID"
	ok $? "$kind: alice's decision log has the session"
	restart_alice
	ok $? "$kind: alice's signer killed and restarted"
	like "$(grep 'ready:' "$D/alice/signer.log" | tail -n 1)" \
	    "ready: 1 set\\(s\\), 1 session\\(s\\)" \
	    "$kind: the restarted signer rebuilt its set and session"
	kill -CONT "$(cat "$D/bob/procsim.pid")"
	once "$s" "$ID"
	is "$(lines "^formed $s" "$D/alice/procsim.out")" 1 \
	    "$kind: alice's processor was told of the party once"
	is "$(sg_count_type "$D" alice signing PARTY_FORMED "$(jhex "$ID")")" \
	    1 "$kind: one PartyFormed for it on alice's signing topic"
	like "$(sg_status "$D" alice | grep "^session $ID")" \
	    "attempt=0 .*state=completed attempt_done=0" \
	    "$kind: alice's log: completed at attempt 0, no re-attempt"

	# 2. Three kills while six sessions run.
	ids=
	for i in 1 2 3 4 5 6; do
		id=$(hex32)
		ids="$ids $id"
		for n in $V; do
			sg_request "$D" "$n" 1 1 "$id" "$B" &
		done
	done
	for k in 1 2 3; do
		# Kill once alice's processor has done something more.
		n0=$(wc -l <"$D/alice/procsim.out")
		wait_for 60 sh -c "[ \$(wc -l <'$D/alice/procsim.out') -gt $n0 ]"
		restart_alice
		ok $? "$kind: kill $k while sessions run"
	done
	for id in $ids; do
		once "$(echo "$id" | cut -c1-16)" "$id"
	done
	dup=0
	for n in $V; do
		grep -q '^duplicate-party' "$D/$n/procsim.out" && dup=1
	done
	ok $dup "$kind: no processor was told of a party twice"
	kafka_stop "$kind"
done
done_testing
