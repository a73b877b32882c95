#!/bin/sh
# t3014: a flooding peer delays only itself.  mallory (a validator in
# bob's config, abuse_limit 0 so bob never hangs up) floods bob with
# messages bob must refuse; while the flood goes on, alice delivers 20
# messages to bob, each acknowledged end to end, and exits.  The flood is
# still running when she is done.
. t/lib.sh
. t/p2p/lib.sh
need_cmd python3 "python3 finds free ports"
CONNECTOR=$TOP/connector/connector
MKP2P=$TOP/t/p2p/mkp2p
[ -x "$CONNECTOR" ] && [ -x "$P2PTOOL" ] && [ -x "$MKP2P" ] ||
    skip_all "connector, p2ptool or mkp2p not built"
plan 7

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
"$P2PTOOL" -k "$T/mallory.key" -c "/ip4/127.0.0.1/tcp/$BOBPORT/p2p/$BOBID" \
    -a "$BOBID" -n $N -s 1024 -qq -t 300 >"$T/m.out" 2>"$T/m.err" &
MPID=$!
track_pid $MPID
wait_for 30 sh -c "r=\$('$CONNECTOR' -f '$T/bob/c.ini' -s 2>/dev/null |
    grep '^peer mallory' | sed 's/.*rejected=\([0-9]*\).*/\1/');
    [ \"\${r:-0}\" -ge 1000 ]"
ok $? "mallory is flooding bob (over 1000 messages refused)"

"$MKP2P" -k "$T/alice/keys/signer.key" -i alice.signer -n 20 -t bob \
    >"$T/alice/in.bin"
"$CONNECTOR" -f "$T/alice/c.ini" -i "$T/alice/in.bin" \
    -o "$T/alice/out.bin" 2>"$T/alice/err" &
APID=$!
wait_for 60 sh -c "! kill -0 $APID 2>/dev/null"
wait $APID
ok $? "alice delivered 20 messages, all acknowledged, during the flood" ||
    show "$T/alice/err"
kill -0 $MPID 2>/dev/null
ok $? "the flood was still going on when she was done"
during=$(rejected)
is "$(grep -c '"validator": *"alice"' "$T/bob/out.json")" 20 \
    "bob produced alice's 20"
[ "${during:-0}" -lt $N ]
ok $? "mallory had $during of $N refused by then"
kill $MPID 2>/dev/null
kill -TERM $BOB
wait $BOB
nlog=$(grep -c 'refused' "$T/bob/err")
[ "$nlog" -le 10 ]
ok $? "the flood did not flood bob's log ($nlog lines about refusals)" ||
    show "$T/bob/err"
! grep -q -E 'fatal|runtime error|Sanitizer' "$T/bob/err" "$T/alice/err"
ok $? "nothing fatal" || show "$T/bob/err"
done_testing
