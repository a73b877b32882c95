#!/bin/sh
# t5000: the archiver's store, through both backends (file, postgres):
# round trip, replay, get/list/kv, nothing in plaintext at rest, a wrong key
# refused, key rotation.
. t/lib.sh
. t/lib-archiver.sh
arch_require
plan 58

M=PLAINMARK7q
arch_gen 300 "$M" > "$T/in.jsonl"
"$A" -x keygen "$T/other.key" 2>/dev/null
"$A" -x keygen "$T/new.key" 2>/dev/null

for b in file postgres; do
	n=s_$b
	arch_setup $n $b || { ok 1 "$b: setup"; continue; }
	arch $n -x import "$T/in.jsonl"
	ok $? "$b: import 300 records and 2 kv entries"
	is "$(arch $n -x count)" '{"records":300,"kv":2}' "$b: count"
	arch $n -x import "$T/in.jsonl"
	ok $? "$b: import the same again"
	is "$(arch $n -x count)" '{"records":300,"kv":2}' \
		"$b: a replay stores nothing twice"
	like "$(tail -n 1 "$T/$n.log")" "300 records read, 0 new" \
		"$b: the replay found every record stored"
	arch_export $n > "$T/out_$b.jsonl"
	ok $? "$b: export"
	cmp -s "$T/in.jsonl" "$T/out_$b.jsonl"
	ok $? "$b: export gives back exactly what was imported"

	want=$(sed -n 123p "$T/in.jsonl")
	set -- $(printf '%s\n' "$want" | jq -r '"\(.topic) \(.partition) \(.offset)"')
	got=$(arch $n -x get "$1" "$2" "$3" | jq -c 'del(.key_id)')
	is "$got" "$want" "$b: get $1/$2/$3"
	arch $n -x get "$1" "$2" 999999 >/dev/null
	is $? 100 "$b: get of a missing record fails"
	is "$(arch $n -x list signing 1 | wc -l)" \
		"$(jq -c 'select(.topic == "signing" and .partition == 1)' \
		"$T/in.jsonl" | wc -l)" "$b: list signing 1"
	is "$(arch $n -x list signing 1 100 199 | jq -c 'del(.key_id)')" \
		"$(jq -c 'select(.topic == "signing" and .partition == 1 and
		.offset >= 100 and .offset <= 199)' "$T/in.jsonl")" \
		"$b: list signing 1 100 199"
	is "$(arch $n -x kv-get data/alpha)" "$M data/alpha" "$b: kv-get"
	printf 'value one %s' "$M" | arch $n -x kv-put svc/k1
	printf 'value two %s' "$M" | arch $n -x kv-put svc/k1
	is "$(arch $n -x kv-get svc/k1)" "value two $M" \
		"$b: kv-put replaces, kv-get returns the value"
	arch $n -x kv-get svc/none >/dev/null
	is $? 100 "$b: kv-get of a missing name fails"

	# Nothing of a body at rest, nor in the log.
	if [ $b = file ]; then
		grep -rqa "serai-observation" "$T/$n.store"
		ok $? "$b: control: grep sees the metadata in the segments"
		grep -rqa "$M" "$T/$n.store"
		is $? 1 "$b: no body in plaintext in the store's files"
	else
		pg_psql "$T/pg" -d $n -c "CREATE TABLE IF NOT EXISTS ctl (t text)" \
			-c "INSERT INTO ctl VALUES ('CONTROL$M')" -c CHECKPOINT
		grep -rqa "CONTROL$M" "$T/pg/data"
		ok $? "$b: control: grep sees plaintext written by psql"
		grep -rqa "$M [0-9]" "$T/pg/data"
		is $? 1 "$b: no record body in plaintext in the data directory"
		grep -rqa "$M data/" "$T/pg/data"
		is $? 1 "$b: no kv value in plaintext in the data directory"
		grep -rqa "value two $M" "$T/pg/data"
		is $? 1 "$b: no kv-put value in plaintext either"
	fi
	grep -qa "$M" "$T/$n.log"
	is $? 1 "$b: no body in the log"

	# A wrong key is refused.
	sed "s|^key_file = .*|key_file = $T/other.key|" "$T/$n.ini" > "$T/w_$b.ini"
	out=$("$A" -f "$T/w_$b.ini" -x export 2>&1 >/dev/null)
	is $? 100 "$b: export with a wrong key fails"
	like "$out" "not in the keyring" "$b: and says why"
	chmod 644 "$T/other.key"
	out=$("$A" -f "$T/w_$b.ini" -x count 2>&1)
	like "$out" "must be 0600" "$b: a key file readable by others is refused"
	chmod 600 "$T/other.key"

	# Rotation: new records under the new key, old ones still readable.
	sed -e "s|^key_file = .*|key_file = $T/new.key|" \
		-e "\$a old_key_files = $T/key" "$T/$n.ini" > "$T/r_$b.ini"
	arch_gen 30 "$M" 1000 | "$A" -f "$T/r_$b.ini" -x import - 2>>"$T/$n.log"
	ok $? "$b: after rotation: import 30 more"
	"$A" -f "$T/r_$b.ini" -x export 2>>"$T/$n.log" > "$T/rot_$b.jsonl"
	ok $? "$b: after rotation: everything exports"
	is "$(jq -r .key_id "$T/rot_$b.jsonl" | sort | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' ')" \
		"30 303 " "$b: 300 records and 3 kv under the old key, 30 under the new"
	sed "/^old_key_files/d" "$T/r_$b.ini" > "$T/r2_$b.ini"
	"$A" -f "$T/r2_$b.ini" -x export >/dev/null 2>&1
	is $? 100 "$b: without the old key the old records are refused"

	arch $n -x backup >/dev/null
	is $? 100 "$b: a backup whose drill cannot open every body fails"
	like "$(tail -n 1 "$T/$n.log")" "30 sealed bodies cannot be opened" \
		"$b: the drill says why"
	out=$("$A" -f "$T/r_$b.ini" -x backup 2>>"$T/$n.log")
	ok $? "$b: backup with the whole keyring"
	is "$(printf '%s' "$out" | jq -c '[.records, .kv, .verified]')" \
		"[330,3,true]" "$b: the backup was verified by a restore drill"
done
done_testing
