#!/bin/sh
# t5006: the file store's disk fills up under the archiver (a small tmpfs,
# filled by another file).  The archiver says so plainly (no space left,
# will retry), keeps the batch it could not write rather than skip it,
# stores nothing twice or half, and goes on by itself once space is made:
# the store holds exactly the input.
. t/lib.sh
. t/lib-archiver.sh
arch_require
need_cmd mount "the test mounts a small tmpfs for the store"
if [ "$(id -u)" != 0 ]; then
	skip_all "mounting a tmpfs needs root (CI runs as root)"
fi
plan 9

mnt=$T/disk
mkdir -p "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt"
ok $? "a 2 MiB tmpfs for the store"
# Unmounted at exit, before lib.sh's cleanup removes $T.
trap 'umount -l "$mnt" 2>/dev/null; _tap_cleanup' EXIT

M=DISKFULL
arch_gen 2000 "$M" 0 > "$T/all.jsonl"
sed -n 1,2000p "$T/all.jsonl" > "$T/recs.jsonl"		# the records only
sed -n 1,1000p "$T/recs.jsonl" > "$T/first.jsonl"
sed -n 1001,2000p "$T/recs.jsonl" > "$T/second.jsonl"
ARCH_BATCH=100 arch_setup d file
sed -i "s|^path = .*|path = $mnt/store|" "$T/d.ini"

arch d -x import "$T/first.jsonl"
is $? 0 "the first 1000 records are stored"

# Fill what is left of the disk.
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
avail=$(df -k --output=avail "$mnt" | tail -n 1 | tr -d ' ')
is "$avail" 0 "the disk is full"

arch d -x import "$T/second.jsonl" &
pid=$!
track_pid $pid
wait_for 30 grep -q "will retry" "$T/d.log"
ok $? "the archiver retries the batch it could not write"
like "$(cat "$T/d.log")" "No space left on device" \
    "and the log says why: no space left on device"
kill -0 $pid 2>/dev/null
ok $? "it waits for space rather than exiting"

rm -f "$mnt/filler"
wait $pid
is $? 0 "space made, the import finishes by itself"
like "$(cat "$T/d.log")" "stored after [0-9]+ retries" \
    "the log says the batch was stored after the retries"
arch_export d | grep -v '"kv"' > "$T/out.jsonl"
cmp -s "$T/recs.jsonl" "$T/out.jsonl"
ok $? "the store holds exactly the 2000 records: none lost, none twice"
