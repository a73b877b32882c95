#!/bin/sh
# t3014: a flooding peer delays only itself.  mallory (a validator in
# bob's config, abuse_limit 0 so bob never hangs up) floods bob with
# messages bob must refuse.  alice delivers 20 messages to bob one at a
# time before the flood (the baseline) and 20 more while it goes on, each
# acknowledged end to end, and exits; the flood is still running when she
# is done.  A message's delivery latency is from alice's input to bob's
# P2P_RECEIVED record (its created_ms, bob's wall clock).  "Only itself":
# alice's median latency during the flood stays within a few times her
# baseline, not mallory's backlog: a connector that served its peers in
# one queue would put each of alice's messages behind what mallory has in
# flight (up to a 16 MiB yamux window of 1 KiB messages) and fail.
. t/lib.sh
. t/p2p/lib.sh
need_cmd python3 "python3 finds free ports"
CONNECTOR=$TOP/connector/connector
MKP2P=$TOP/t/p2p/mkp2p
[ -x "$CONNECTOR" ] && [ -x "$P2PTOOL" ] && [ -x "$MKP2P" ] ||
    skip_all "connector, p2ptool or mkp2p not built"
plan 10

conn_setup alice "$(free_port)"
conn_setup bob "$(free_port)"
conn_config alice bob
conn_config bob alice
MALLORY=$(p2p_key mallory)
sed -i 's/^connect_timeout = 2s$/&\nabuse_limit = 0/' "$T/bob/c.ini"
printf '[validator mallory]\npublic_key = %s\n' "$MALLORY" >>"$T/bob/c.ini"
BOBPORT=$(cat "$T/bob/port")

mkfifo "$T/bob/in"
exec 3<>"$T/bob/in"
"$CONNECTOR" -f "$T/bob/c.ini" -J -i "$T/bob/in" -o "$T/bob/out.json" \
    2>>"$T/bob/err" &
BOB=$!
track_pid $BOB
wait_for 10 grep -q 'listening on' "$T/bob/err"
BOBID=$(awk '/listening on/{sub(/.*\/p2p\//, ""); print; exit}' "$T/bob/err")

rejected() {
	"$CONNECTOR" -f "$T/bob/c.ini" -s 2>/dev/null |
	    awk '/^peer mallory /{for (i = 1; i <= NF; i++)
		if ($i ~ /^rejected=/) { sub(/rejected=/, "", $i); print $i }}'
}

N=2000000
# the bound on the flood's median: FACTOR times the baseline's, plus FLOOR
# ms (the scheduler's share on a loaded 2-core machine, where mallory and
# bob each keep a core busy)
FACTOR=5
FLOOR=30

# alice reads her input from a FIFO: one message at a time
for k in $(seq 1 40); do
	"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 1 -f "$k" \
	    -t bob >"$T/alice/m$k.bin"
done
mkfifo "$T/alice/in"
exec 4<>"$T/alice/in"
# (fd 4, the FIFO's writer, stays with this shell alone: her input ends
# when it closes it)
"$CONNECTOR" -f "$T/alice/c.ini" -i "$T/alice/in" -o "$T/alice/out.bin" \
    2>"$T/alice/err" 4>&- &
APID=$!
track_pid $APID
wait_for 20 grep -q 'validator bob connected' "$T/alice/err"

# deliver K: alice's message K to bob, once the K-1 before it are there
# (20 s at most: a failure, then);
# prints its latency in ms (bob's created_ms less the time it was written)
from_alice() {
	grep -c '"validator": *"alice"' "$T/bob/out.json"
}
deliver() {
	_t0=$(date +%s%3N)
	cat "$T/alice/m$1.bin" >&4
	wait_for 20 sh -c "[ \$(grep -c '\"validator\": *\"alice\"' \
	    '$T/bob/out.json') -ge $1 ]" || return 1
	_t1=$(grep '"validator": *"alice"' "$T/bob/out.json" | sed -n "$1p" |
	    sed -n 's/.*"created_ms": *\([0-9]*\).*/\1/p')
	echo $((_t1 - _t0))
}
# median FILE: of the numbers in FILE, one a line
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

: >"$T/base.ms"
for k in $(seq 1 20); do
	deliver "$k" >>"$T/base.ms" || break
done
is "$(from_alice)" 20 "baseline: alice's 20, one at a time, before the flood"
base=$(median "$T/base.ms")

fstart=$(date +%s%3N)
"$P2PTOOL" -k "$T/mallory.key" -c "/ip4/127.0.0.1/tcp/$BOBPORT/p2p/$BOBID" \
    -a "$BOBID" -n $N -s 1024 -qq -t 300 >"$T/m.out" 2>"$T/m.err" 4>&- &
MPID=$!
track_pid $MPID
wait_for 30 sh -c "r=\$('$CONNECTOR' -f '$T/bob/c.ini' -s 2>/dev/null |
    grep '^peer mallory' | sed 's/.*rejected=\([0-9]*\).*/\1/');
    [ \"\${r:-0}\" -ge 1000 ]"
ok $? "mallory is flooding bob (over 1000 messages refused)"

: >"$T/flood.ms"
for k in $(seq 21 40); do
	deliver "$k" >>"$T/flood.ms" || break
done
is "$(wc -l <"$T/flood.ms")" 20 "during the flood: alice's 20 more, one at a time"
# her input ends: she exits once everything is acknowledged
exec 4>&-
wait_for 60 sh -c "! kill -0 $APID 2>/dev/null" || kill -KILL $APID
wait $APID
ok $? "alice delivered 20 messages, all acknowledged, during the flood" ||
    show "$T/alice/err"
kill -0 $MPID 2>/dev/null
ok $? "the flood was still going on when she was done"
during=$(rejected)
is "$(from_alice)" 40 "bob produced alice's 20 (and the 20 before the flood)"
[ "${during:-0}" -lt $N ]
ok $? "mallory had $during of $N refused by then"
flood=$(median "$T/flood.ms")
diag "alice's latency, ms: baseline median $base (max" \
    "$(sort -n "$T/base.ms" | tail -1)), during the flood median $flood" \
    "(max $(sort -n "$T/flood.ms" | tail -1))"
[ -n "$base" ] && [ -n "$flood" ] &&
    [ "$flood" -le $((FACTOR * base + FLOOR)) ]
ok $? "the flood delays alice only by the scheduler's share:" \
    "median ${flood:-?} ms <= $FACTOR x ${base:-?} + $FLOOR ms"
kill $MPID 2>/dev/null
kill -TERM $BOB
wait $BOB
# bob logs 5 refusals a minute and, when the minute is over, one line
# counting the rest: at most 6 lines for each minute the flood lasted
# (started), against the thousands of refusals it brought.  Only the
# lines about mallory: bob also logs "connect: Connection refused" when
# he dials alice before she listens or after she exits, as many times as
# the timing makes it
fmin=$((($(date +%s%3N) - fstart) / 60000 + 1))
nlog=$(grep -c 'validator mallory: .*refused' "$T/bob/err")
[ "$nlog" -le $((6 * fmin)) ]
ok $? "the flood did not flood bob's log ($nlog lines about refusals" \
    "in $fmin minute(s) of it, at most $((6 * fmin)))" || show "$T/bob/err"
! grep -q -E 'fatal|runtime error|Sanitizer' "$T/bob/err" "$T/alice/err"
ok $? "nothing fatal" || show "$T/bob/err"
done_testing
