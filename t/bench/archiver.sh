#!/bin/sh
# bench/archiver.sh: the archiver against PostgreSQL's own tools, on a
# private server (t/pg.sh), the same records for both:
#   - records per second archived into PostgreSQL, sealed, in batches
#     (archiver -x import) against COPY of the same records in plaintext by
#     psql into a table of the same shape (target: at least 0.5)
#   - backup MB/s: archiver -x backup (no drill) against pg_dump -Fc of the
#     archive table; restore MB/s: archiver -r into an empty database
#     against pg_restore of that dump.  MB are the records' sealed bytes
#     (the manifest's "bytes"), the same numerator for both.
# ARCH_BENCH_N records (default 200000), bodies of 64..512 bytes.
set -u
. t/bench/lib.sh
. t/pg.sh

N=${ARCH_BENCH_N:-200000}
A=$(pwd)/archiver/archiver
mkdir -p t/tmp
W=$(mktemp -d "$(pwd)/t/tmp/bench-archiver.XXXXXX")
trap 'pg_stop "$W/pg"; rm -rf "$W"' EXIT
pg_available || { echo "bench archiver: no PostgreSQL server" >&2; exit 1; }
pg_start "$W/pg" >/dev/null || exit 1
CI=$(cat "$W/pg/conninfo")
ms() { echo $(( ($2 - $1) / 1000000 )); }

"$A" -x keygen "$W/key" 2>/dev/null
python3 - "$N" "$W" <<'PYEOF'
import base64, json, os, random, sys
n, w = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(7)
topics = ["chain-health", "serai-observation", "signing", "p2p-inbound"]
with open(w + "/in.jsonl", "w") as j, open(w + "/in.copy", "w") as c:
    for i in range(n):
        t = topics[i % 4]
        body = rnd.randbytes(rnd.randint(64, 512))
        intent = rnd.randbytes(32)
        sender = "validator.%s" % ("signer" if i % 2 else "observer")
        j.write(json.dumps({"topic": t, "partition": i % 3, "offset": i,
                            "type": i % 40, "intent": intent.hex(),
                            "sender": sender, "time": 1700000000000 + i,
                            "body": base64.b64encode(body).decode()},
                           separators=(",", ":")) + "\n")
        c.write("%s\t%d\t%d\t%d\t\\\\x%s\t%s\t%d\t\\\\x%s\n" % (
            t, i % 3, i, i % 40, intent.hex(), sender, 1700000000000 + i,
            body.hex()))
PYEOF

psql_() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@"; }
for db in ours peer r_ours r_peer; do
	psql_ "$CI" -c "CREATE DATABASE $db" || exit 1
done
dbci() { printf '%s' "$CI" | sed "s/dbname=postgres/dbname=$1/"; }
cat > "$W/ours.ini" <<EOT
[general]
backup_dir = $W/backups
[archive]
backend = postgres
conninfo = $(dbci ours)
key_file = $W/key
verify_backups = no
batch_size = ${ARCH_BENCH_BATCH:-1000}
EOT
sed "s/dbname=ours/dbname=r_ours/" "$W/ours.ini" > "$W/r_ours.ini"
psql_ "$(dbci peer)" -c "CREATE TABLE plain (topic text COLLATE \"C\" NOT NULL,
	partition integer NOT NULL, \"offset\" bigint NOT NULL,
	msg_type bigint NOT NULL, intent bytea NOT NULL, sender text NOT NULL,
	time_ms bigint NOT NULL, body bytea NOT NULL,
	UNIQUE (topic, partition, \"offset\"))" || exit 1
# The schema is made before the clock starts, as the peer's table is.
"$A" -f "$W/ours.ini" -x count >/dev/null 2>&1 || exit 1
"$A" -f "$W/r_ours.ini" -x count >/dev/null 2>&1 || exit 1
psql_ "$CI" -c CHECKPOINT

t0=$(now_ns)
"$A" -f "$W/ours.ini" -x import "$W/in.jsonl" 2>/dev/null || exit 1
t1=$(now_ns)
psql_ "$CI" -c CHECKPOINT
t2=$(now_ns)
psql_ "$(dbci peer)" -c "\\copy plain FROM '$W/in.copy'" || exit 1
t3=$(now_ns)
ours=$(( N * 1000 / $(ms $t0 $t1) ))
peer=$(( N * 1000 / $(ms $t2 $t3) ))
bench_row archiver "archive into PostgreSQL, sealed" "records/s" "$ours" \
	"psql COPY plaintext" "$peer"

t0=$(now_ns)
out=$("$A" -f "$W/ours.ini" -x backup 2>/dev/null) || exit 1
t1=$(now_ns)
bytes=$(printf '%s' "$out" | jq .bytes)
file=$(printf '%s' "$out" | jq -r .backup)
t2=$(now_ns)
pg_dump -Fc -t archive_record -f "$W/dump" "$(dbci ours)" || exit 1
t3=$(now_ns)
mbs() { awk -v b="$bytes" -v m="$1" 'BEGIN { printf "%.1f", b / 1048576 / (m / 1000) }'; }
bench_row archiver "backup" "MB/s" "$(mbs $(ms $t0 $t1))" "pg_dump -Fc" \
	"$(mbs $(ms $t2 $t3))"

t0=$(now_ns)
"$A" -f "$W/r_ours.ini" -r "$file" >/dev/null 2>&1 || exit 1
t1=$(now_ns)
t2=$(now_ns)
pg_restore -d "$(dbci r_peer)" "$W/dump" || exit 1
t3=$(now_ns)
bench_row archiver "restore" "MB/s" "$(mbs $(ms $t0 $t1))" "pg_restore" \
	"$(mbs $(ms $t2 $t3))"
n1=$(psql_ -A -t "$(dbci r_ours)" -c "SELECT count(*) FROM archive_record")
n2=$(psql_ -A -t "$(dbci r_peer)" -c "SELECT count(*) FROM archive_record")
[ "$n1" = "$N" ] && [ "$n2" = "$N" ] ||
	{ echo "bench archiver: restored $n1 and $n2 of $N records" >&2; exit 1; }
echo "# $N records, $(( $(wc -c < "$file") / 1048576 )) MiB backup file, $(( $(wc -c < "$W/dump") / 1048576 )) MiB dump"
