#!/bin/sh
# t4030: what the signer refuses, each to the dead-letter topic with its
# reason: a message from a set member outside the party, one sealed by
# another validator's signer, one naming another sender, one sealed by an
# unknown key, one for a party we are not in, a future attempt from outside
# its party, a stale attempt (after signed messages of the next attempt's
# members moved the session on); early messages beyond the window or held
# too long; a session out of attempts fails; after its set is retired, a
# message for a session not running here is not held (a result is
# dropped, anything else refused at once).
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/procsim/lib.sh
sg_require
need_cmd python3 "the independent party implementation is Python"
KAFKA_KINDS=${KAFKA_KINDS:-mock}
kafka_require
# 23 per broker kind
plan $(($(kafka_kinds | wc -w) * 23))

V="alice bob carol dave"
# No processors run: sessions never progress.  First long stage timeouts
# (the session stays at its attempt while messages are forged), then short
# ones for a session that runs out of attempts.
SG_SIGNING="preprocess_timeout = 60s
share_timeout = 60s
max_attempts = 3
early_window = 3
early_ttl = 5s"

attempt_of() {
	sg_field "$D" "$1" "$ID" attempt
}
in_list() {	# NAME LIST
	case ",$2," in *",$1,"*) return 0 ;; esac
	return 1
}
attempt_is() {	# NAME N
	[ "$(attempt_of "$1")" = "$2" ]
}
failed_at() {	# NAME N
	sg_status "$D" "$1" |
	    grep -q "^session $ID .* attempt=$2 .*state=failed"
}
reason_in() {	# NAME REGEX
	sg_reasons "$D" "$1" | grep -Eq -- "$2"
}
early_none() {	# NAME: NAME's decision log holds no early message
	[ "$(sg_status "$D" "$1" | awk '$1 == "early" { print $2 }')" = 0 ]
}
expired() {	# N: alice dropped N early messages held too long
	[ "$(sg_reasons "$D" alice | grep -c 'without its session forming')" \
	    -ge "$1" ]
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	sg_net "$D" $V
	sg_topics "$D" $V
	for n in $V; do
		sg_signer "$D" "$n"
	done
	sg_relay "$D" $V

	# A session whose first party has alice and bob but not dave, and
	# whose second has alice.
	B=$(hex32)
	i=0
	while :; do
		ID=$(hex32)
		p0=$(sg_pyparty "$D" 1 "$B" "$ID" 0 0 $V)
		p1=$(sg_pyparty "$D" 1 "$B" "$ID" 1 0 $V)
		if in_list dave "$p0"; then :
		elif in_list alice "$p0" && in_list bob "$p0" &&
		    in_list alice "$p1"; then
			break
		fi
		i=$((i + 1))
		[ $i -lt 500 ] || { echo "Bail out! no such sign id"; exit 1; }
	done
	diag "$kind: attempt 0: $p0; attempt 1: $p1"
	rq=
	for n in $V; do
		sg_request "$D" "$n" 1 1 "$ID" "$B" &
		rq="$rq $!"
	done
	# shellcheck disable=SC2086
	wait $rq
	for n in alice bob dave; do
		wait_for 30 attempt_is "$n" 0
	done

	# dave is in the set, not in the party of attempt 0.
	sg_forge "$D" dave dave 1 1 "$ID" 0 1 dave alice
	wait_for 30 reason_in alice "sender dave is not in the party of attempt 0"
	ok $? "$kind: a non-member's preprocess refused"
	# Sealed by alice's signer, relayed from dave.
	sg_forge "$D" dave alice 1 1 "$ID" 0 1 alice bob
	wait_for 30 reason_in bob "from validator dave carries a SignMessage sealed by alice\\.signer, expected dave\\.signer"
	ok $? "$kind: a message sealed by another validator's signer refused"
	# Sealed by dave, claiming to be carol's.
	sg_forge "$D" dave dave 1 1 "$ID" 0 1 carol bob
	wait_for 30 reason_in bob "says it is from carol, relayed from dave"
	ok $? "$kind: a message naming another sender refused"
	# Sealed by a key nobody trusts.
	mkdir -p "$D/mallory/keys"
	"$KEYGEN" -q "$D/mallory/keys/signer.key" >/dev/null
	sg_forge "$D" dave mallory 1 1 "$ID" 0 1 dave bob
	wait_for 30 reason_in bob "^P2pReceived from dave: inner envelope: untrusted sender \"mallory\\.signer\" \\(not in \\[trust\\]\\)\$"
	ok $? "$kind: a message sealed by an unknown key refused"
	# dave is not in attempt 0's party: a member's message to it.
	m=$(echo "$p0" | cut -d, -f1)
	sg_forge "$D" "$m" "$m" 1 1 "$ID" 0 1 "$m" dave
	wait_for 30 reason_in dave "we are not in the party of attempt 0"
	ok $? "$kind: a preprocess for a party we are not in refused"
	# A future attempt from someone outside that attempt's party.
	a=40
	while :; do
		pa=$(sg_pyparty "$D" 1 "$B" "$ID" $a 0 $V)
		out=$(for n in $V; do case ",$pa," in *",$n,"*) ;;
		    *) echo "$n" ;; esac; done | head -n 1)
		[ "$out" != alice ] && break
		a=$((a + 1))
	done
	sg_forge "$D" "$out" "$out" 1 1 "$ID" $a 1 "$out" alice
	wait_for 30 reason_in alice "sender $out is not in the party of attempt $a"
	ok $? "$kind: a future attempt from outside its party refused"

	# The two other members of attempt 1's party say they are there:
	# with alice, the threshold: alice follows them to attempt 1.
	for n in $(echo "$p1" | tr ',' ' '); do
		[ "$n" = alice ] || sg_forge "$D" "$n" "$n" 1 1 "$ID" 1 1 "$n" alice
	done
	wait_for 30 attempt_is alice 1
	ok $? "$kind: signed messages of attempt 1's members moved alice on"
	grep -q "members of attempt 1's party are there already" \
	    "$D/alice/signer.log"
	ok $? "$kind: alice's log says why"
	# Now an attempt-0 message from bob (in that party) is stale.
	sg_forge "$D" bob bob 1 1 "$ID" 0 1 bob alice
	wait_for 30 reason_in alice "from bob: stale attempt 0 \\(current 1\\)"
	ok $? "$kind: a stale attempt refused"

	# Early messages: four for sessions nobody knows, a window of three.
	for i in 1 2 3 4; do
		sg_forge "$D" dave dave 1 1 "$(hex32)" 0 1 dave alice
	done
	wait_for 30 reason_in alice "early window full"
	ok $? "$kind: the oldest early message dropped when the window is full"
	wait_for 30 expired 3
	ok $? "$kind: the others dropped after early_ttl"

	# Out of attempts: short timeouts now, a new session fails at its
	# third attempt, everywhere.
	for n in $V; do
		kill -TERM "$(cat "$D/$n/signer.pid")"
		wait_for 15 sh -c "! kill -0 $(cat "$D/$n/signer.pid")"
		sed -i -e 's/^preprocess_timeout = 60s$/preprocess_timeout = 1s/' \
		    -e 's/^share_timeout = 60s$/share_timeout = 1s/' \
		    -e 's/^early_ttl = 5s$/early_ttl = 60s/' \
		    "$D/$n/coord.ini"
		sg_signer "$D" "$n"
	done
	ID=$(hex32)
	rq=
	for n in $V; do
		sg_request "$D" "$n" 1 1 "$ID" "$B" &
		rq="$rq $!"
	done
	# shellcheck disable=SC2086
	wait $rq
	for n in $V; do
		wait_for 60 failed_at "$n" 2
		ok $? "$kind: $n: the session failed at its third attempt"
	done
	grep -q "timed out at attempt 2, the last" "$D/alice/signer.log"
	ok $? "$kind: alice's log says why"

	# Held before the retirement (early_ttl is 60 s now): a preprocess
	# and a result for sessions of set 1/1 nobody formed.
	HELD=$(hex32)
	hh=$(echo "$HELD" | cut -c1-16)
	HRES=$(hex32)
	hr=$(echo "$HRES" | cut -c1-16)
	sg_forge "$D" dave dave 1 1 "$HELD" 0 1 dave alice
	sg_forge "$D" dave dave 1 1 "$HRES" 0 3 dave alice
	wait_for 30 sh -c "grep -q 'session $hh attempt 0: preprocess from dave held' '$D/alice/signer.log' &&
	    grep -q 'session $hr attempt 0: done from dave held' '$D/alice/signer.log'"
	ok $? "$kind: a preprocess and a result held for sessions of set 1/1" ||
	    show "$D/alice/signer.log"

	# Set 1/1 retired (its failed sessions forgotten): a member's
	# result for a session of it that is not running here (finished and
	# forgotten, as a relay delayed past the retirement brings it) is
	# dropped, and a preprocess refused, neither held for early_ttl.
	sg_chain "$D" retire 1 1 "$B"
	wait_for 30 grep -q "set 1/1 retired" "$D/alice/signer.log"
	ok $? "$kind: set 1/1 retired on alice"
	# What was held for it is let go at the retirement, not after
	# early_ttl: the preprocess refused, the result dropped; the
	# decision log holds no early message any more
	wait_for 30 reason_in alice "^SignMessage $hh from dave: held, and set 1/1 retired with the session not running here\$"
	ok $? "$kind: the held preprocess refused at the retirement"
	wait_for 30 early_none alice
	ok $? "$kind: the held result dropped: alice's decision log holds" \
	    "no early message (early_ttl is 60 s)" || sg_status "$D" alice
	! sg_reasons "$D" alice | grep -q "$hr"
	ok $? "$kind: the held result not dead-lettered"
	# the result, then a preprocess of the same session: both keyed by
	# its sign id, so alice reads them in that order
	LATE=$(hex32)
	lh=$(echo "$LATE" | cut -c1-16)
	sg_forge "$D" dave dave 1 1 "$LATE" 0 3 dave alice
	sg_forge "$D" dave dave 1 1 "$LATE" 0 1 dave alice
	wait_for 30 reason_in alice "^SignMessage $lh from dave: set 1/1 is retired and the session is not running here\$"
	ok $? "$kind: a preprocess for a session of the retired set refused"
	! grep -q "session $lh attempt 0: done from dave held" \
	    "$D/alice/signer.log" &&
	    [ "$(sg_reasons "$D" alice | grep -c "$lh")" = 1 ]
	ok $? "$kind: the result for it dropped, not held nor refused"
	kafka_stop "$kind"
done
done_testing
