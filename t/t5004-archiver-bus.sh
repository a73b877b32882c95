#!/bin/sh
# t5004: the archiver on the bus.  From stdio: every envelope archived
# once, whole.  On Kafka (the dev broker and a real one), into PostgreSQL:
# every record of the topics archived, offsets committed only once stored
# (SIGKILL -> redelivered, nothing doubled), data requests answered (put,
# get, a missing key; values kept per requester), SIGTERM exits 0.
. t/lib.sh
. t/lib-archiver.sh
. t/lib-kafka.sh
. t/lib-coord.sh
arch_require
kafka_require
# 15 per broker kind, 7 over stdio before them
plan $(($(kafka_kinds | wc -w) * 15 + 7))
ARCHREQ=$TOP/archiver/archreq
M=BUSMARK9x

C=$(coord_conf "$T/v" alice archiver busprobe archreq)
"$A" -x keygen "$T/data.key" 2>/dev/null
printf '[archive]\npath = %s\nkey_file = %s\nbatch_timeout = 100ms\n' \
	"$T/stdio.store" "$T/data.key" >>"$C"

"$A" -f "$C" -n 2>/dev/null
ok $? "-n: the configuration, keys and trust check out"
sed "s|^key_dir = .*|key_dir = $T/nokeys|" "$C" > "$T/nokey.ini"
like "$(oneline "$A" -f "$T/nokey.ini" -n)" "service key.*rc=100" \
	"-n: consuming without a service key is refused"

# stdio: length-delimited envelopes in, archived whole.
"$BUSPROBE" -f "$C" -o "$T/msgs" send 40 "$M" 2>/dev/null
"$A" -f "$C" -i "$T/msgs" 2>"$T/stdio.log"
ok $? "stdio: 40 envelopes archived, exit 0 at the end of the input"
"$A" -f "$C" -i "$T/msgs" 2>>"$T/stdio.log"
is "$("$A" -f "$C" -x count 2>/dev/null)" '{"records":40,"kv":0}' \
	"stdio: the same input again stores nothing twice"
"$A" -f "$C" -x export 2>/dev/null > "$T/stdio.jsonl"
is "$(jq -r '"\(.type) \(.sender)"' "$T/stdio.jsonl" | sort -u)" \
	"9 alice.busprobe" "stdio: type and sender taken from the envelopes"
python3 - "$T/msgs" "$T/stdio.jsonl" <<'PYEOF'
import base64, json, sys
raw, out = open(sys.argv[1], "rb").read(), open(sys.argv[2])
recs, p = [], 0
while p < len(raw):
    n, s = 0, 0
    while True:
        b = raw[p]; p += 1; n |= (b & 0x7f) << s; s += 7
        if not b & 0x80: break
    recs.append(raw[p:p + n]); p += n
got = [base64.b64decode(json.loads(l)["body"]) for l in out]
sys.exit(0 if got == recs else 1)
PYEOF
ok $? "stdio: each body is the envelope exactly as received"
grep -rqa "$M" "$T/stdio.store"
is $? 1 "stdio: no envelope text in plaintext in the store"

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	arch_pg_up || exit 1
	pg_psql "$T/pg" -c "DROP DATABASE IF EXISTS k_$kind" \
		-c "CREATE DATABASE k_$kind" >/dev/null
	K=$T/$kind.ini
	ci=$(sed "s/dbname=postgres/dbname=k_$kind/" "$T/pg/conninfo")
	sed -e "s|^path = .*|backend = postgres\nconninfo = $ci|" \
		-e "/^\[general\]/a backup_dir = $T/$kind.backups\nbackup_interval = 2s" \
		"$C" > "$K"
	X="-X bootstrap.servers=$BOOTSTRAP -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X max.poll.interval.ms=10000 -X topic.metadata.refresh.interval.ms=1000"
	start() {
		rm -f "$T/ready"
		"$A" -f "$K" $X -d 3 3>"$T/ready" 2>>"$T/$kind.log" &
		apid=$!
		track_pid $apid
		wait_for 60 test -s "$T/ready"
	}
	cnt() {
		pg_psql "$T/pg" -d k_$kind -c "SELECT count(*) FROM archive_record WHERE topic = '$1'"
	}
	# wait_count TOPIC N: until the archive holds N records of TOPIC
	wait_count() {
		wait_for 60 sh -c ". t/pg.sh; test \"\$(pg_psql $T/pg -d k_$kind -c \"SELECT count(*) FROM archive_record WHERE topic = '$1'\")\" = $2"
	}
	# The suite's topics exist before the archiver subscribes (as in a
	# deployment); the mock broker makes them on first use instead.
	[ "$kind" = real ] && "$BUSPROBE" -f "$K" $X topics 2>>"$T/$kind.log"
	start
	ok $? "$kind: the archiver is ready"
	"$BUSPROBE" -f "$K" $X -T signing send 50 "$M" 2>/dev/null
	"$BUSPROBE" -f "$K" $X -T chain_health send 20 "$M" 2>/dev/null
	wait_count signing 50 && wait_count chain-health 20
	ok $? "$kind: 70 records of two topics archived"
	is "$("$A" -f "$K" -x list signing 2>/dev/null | jq -r .sender | sort -u)" \
		"alice.busprobe" "$kind: readable while the archiver runs"

	printf 'the value %s' "$M" | "$ARCHREQ" -f "$K" $X put state/last 2>>"$T/$kind.log"
	ok $? "$kind: a data request stores a value"
	is "$("$ARCHREQ" -f "$K" $X get state/last 2>>"$T/$kind.log")" \
		"the value $M" "$kind: a data request gets it back"
	"$ARCHREQ" -f "$K" $X get state/none 2>>"$T/$kind.log" >/dev/null
	is $? 1 "$kind: a missing key says so"
	is "$("$A" -f "$K" -x kv-get alice.archreq/state/last 2>/dev/null)" \
		"the value $M" "$kind: kept under the requester's name"
	pg_psql "$T/pg" -d k_$kind -c CHECKPOINT
	grep -rqa "the value $M" "$T/pg/data"
	is $? 1 "$kind: the value is not in plaintext in the database"

	wait_for 30 sh -c "ls $T/$kind.backups/archive-*.scab"
	ok $? "$kind: a backup was made on the timer (backup_interval)"
	b=$(ls "$T/$kind.backups"/archive-*.scab | tail -n 1)
	is "$("$A" -f "$K" -x verify "$b" 2>/dev/null | jq .verified)" true \
		"$kind: and it passes the drill"
	like "$(cat "$T/$kind.log")" "verified by a restore into a scratch store" \
		"$kind: the archiver checked it too (verify_backups)"

	kill -TERM $apid
	wait $apid
	is $? 0 "$kind: SIGTERM: exit 0"
	"$BUSPROBE" -f "$K" $X -T signing send 30 "more$M" 2>/dev/null
	start
	wait_count signing 80
	ok $? "$kind: restarted, it archives what was sent meanwhile"
	kill -KILL $apid
	wait $apid 2>/dev/null
	"$BUSPROBE" -f "$K" $X -T signing send 1 "last$M" 2>/dev/null
	start
	# One key, one partition: the last record comes after any redelivery.
	wait_count signing 81
	ok $? "$kind: after SIGKILL and a restart: all there, nothing doubled"
	is "$(cnt signing)" 81 "$kind: exactly 81"
	kill -TERM $apid
	wait $apid
	kafka_stop "$kind"
done
done_testing
