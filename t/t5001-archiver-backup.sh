#!/bin/sh
# t5001: backups: encrypted at rest, the restore drill, corrupted,
# truncated, replaced and wrongly keyed files refused (and nothing
# restored from them), file store -> PostgreSQL -> file store identical,
# retention.
. t/lib.sh
. t/lib-archiver.sh
arch_require
plan 43

M=BKMARK5z
arch_gen 500 "$M" > "$T/in.jsonl"
arch_setup f file
arch f -x import "$T/in.jsonl"
ok $? "import 500 records into a file store"
out=$(arch f -x backup)
ok $? "backup"
B1=$(printf '%s' "$out" | jq -r .backup)
chain1=$(printf '%s' "$out" | jq -r .chain)
ok $(test -s "$B1"; echo $?) "the backup file exists: ${B1##*/}"
grep -qa "$M" "$B1"
is $? 1 "no body in plaintext in the backup"
grep -qa "serai-observation" "$B1"
is $? 1 "no metadata in plaintext in the backup either"
is "$(arch f -x verify "$B1" | jq -c '[.records, .kv, .chain]')" \
	"[500,2,\"$chain1\"]" "-x verify: the drill agrees with the manifest"

# Damaged files: each refused by -x verify and by -r, which stores nothing.
size=$(wc -c < "$B1")
damage() {	# damage NAME HOW: write $T/NAME.scab
	python3 - "$B1" "$T/$1.scab" "$2" "$size" <<'PYEOF'
import sys
src, dst, how, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
b = bytearray(open(src, "rb").read())
kind, _, arg = how.partition(":")
if kind == "cut":
    b = b[:int(eval(arg))]
elif kind == "flip":
    i = int(eval(arg)); b[i] ^= 0x04
elif kind == "append":
    b += b"\0"
open(dst, "wb").write(b)
PYEOF
}
arch_setup r file
for how in "cut:size-1" "cut:size//2" "cut:70" "cut:10" "flip:3" \
	"flip:20" "flip:40" "flip:64" "flip:size//2" "flip:size-1" \
	"append:"; do
	name=$(printf '%s' "$how" | tr -c 'a-z0-9' _)
	damage "$name" "$how"
	err=$(oneline "$A" -f "$T/r.ini" -x verify "$T/$name.scab")
	like "$err" "rc=100" "$how: -x verify refuses it"
	err=$(oneline "$A" -f "$T/r.ini" -r "$T/$name.scab")
	like "$err" "refused: .*rc=100" "$how: -r refuses it: $(printf '%s' "$err" | sed 's/.*refused: //; s/ rc=.*//')"
done
is "$(arch r -x count)" '{"records":0,"kv":0}' "nothing was restored from a damaged file"

# Replaced: another archive's backup under the same key, and a wrong key.
arch_setup g file
arch_gen 20 other 5000 | arch g -x import -
B9=$(arch g -x backup | jq -r .backup)
python3 -c "
import sys
a = open('$B1', 'rb').read(); b = open('$B9', 'rb').read()
open('$T/spliced.scab', 'wb').write(a[:64] + b[64:])"
err=$(oneline "$A" -f "$T/r.ini" -r "$T/spliced.scab")
like "$err" "authentication failed.*rc=100" "another backup's contents under this header are refused"
"$A" -x keygen "$T/wrong.key" 2>/dev/null
arch_setup w file "$T/wrong.key"
err=$(oneline "$A" -f "$T/w.ini" -x verify "$B1")
like "$err" "rc=100" "a wrong key is refused by -x verify"
err=$(oneline "$A" -f "$T/w.ini" -r "$B1")
like "$err" "not in the keyring.*rc=100" "a wrong key is refused by -r"
is "$(arch r -x count)" '{"records":0,"kv":0}' "still nothing restored"

# File store -> backup -> PostgreSQL -> backup -> file store: identical.
arch_setup p postgres
arch p -r "$B1" >/dev/null
ok $? "restore the file store's backup into PostgreSQL"
arch_export p > "$T/p.jsonl"
cmp -s "$T/in.jsonl" "$T/p.jsonl"
ok $? "PostgreSQL holds exactly the records and kv entries"
arch p -r "$B1" >/dev/null
is "$(arch p -x count)" '{"records":500,"kv":2}' "restoring again doubles nothing"
out=$(arch p -x backup)
ok $? "backup of PostgreSQL"
B2=$(printf '%s' "$out" | jq -r .backup)
is "$(printf '%s' "$out" | jq -r .chain)" "$chain1" \
	"its manifest chain equals the file store's"
arch_setup f2 file
arch f2 -r "$B2" >/dev/null
ok $? "restore it into a new file store"
arch_export f2 > "$T/f2.jsonl"
cmp -s "$T/in.jsonl" "$T/f2.jsonl"
ok $? "the records came back identical"
cmp -s "$T/p.jsonl" "$T/f2.jsonl"
ok $? "file -> postgres -> file exports are identical"

# Retention of the last N.
echo "backup_keep = 2" >> "$T/f.ini"
for i in 1 2 3; do arch f -x backup >/dev/null; done
is "$(ls "$T/f.backups" | grep -c '^archive-.*\.scab$')" 2 "backup_keep = 2 keeps two"
is "$(ls -a "$T/f.backups" | grep -c tmp)" 0 "no temporary file left behind"
done_testing
