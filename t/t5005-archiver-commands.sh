#!/bin/sh
# t5005: the archiver's -x commands are checked before anything is opened
# (issue 14): an unknown command or a wrong number of arguments is a usage
# error, exit 100 with the usage, with -n and on a real start, whether the
# store is there or not.  Neither PostgreSQL nor Kafka is needed: the
# postgres configuration points at a server that is not there.
. t/lib.sh

A=$TOP/archiver/archiver
[ -x "$A" ] || skip_all "archiver/archiver is not built"
plan 185

"$A" -x keygen "$T/key" 2>/dev/null
ok $? "keygen: a data key"
mkdir "$T/nopg"		# a socket directory with no server in it
for b in file postgres; do
	cat > "$T/$b.ini" <<EOT
[general]
backup_dir = $T/$b.backups
[archive]
backend = $b
path = $T/$b.store
conninfo = host=$T/nopg dbname=archive connect_timeout=2
key_file = $T/key
retry_timeout = 1s
EOT
done

# run NAME ARGS...: the archiver on $T/NAME.ini; "rc=N" and its stderr.
run() {
	_c=$1
	shift
	"$A" -f "$T/$_c.ini" "$@" > "$T/out" 2> "$T/err"
	echo "rc=$?"
	cat "$T/err"
}

for b in file postgres; do
	for n in "" -n; do
		w="$b${n:+ $n}"
		got=$(run $b $n -x bogus)
		like "$got" "^rc=100$" "$w: -x bogus: exit 100"
		like "$got" "unknown command -x bogus" "$w: -x bogus: says why"
		like "$got" "^usage: archiver " "$w: -x bogus: the usage"
		for cmd in "get a" "get a b c d" "count extra" "export x" \
		    "list" "list a b c d e" "import" "import a b" "kv-put" \
		    "kv-get a b" "backup x" "verify" "keygen"; do
			got=$(run $b $n -x $cmd)
			like "$got" "^rc=100$" "$w: -x $cmd: exit 100"
			like "$got" "-x ${cmd%% *}: wrong number of arguments" \
				"$w: -x $cmd: says why"
			like "$got" "^usage: archiver " "$w: -x $cmd: the usage"
		done
		got=$(run $b $n extra)
		like "$got" "^rc=100$" "$w: an operand without -x: exit 100"
		got=$(run $b $n -r "$T/none.scab" extra)
		like "$got" "^rc=100$" "$w: an operand after -r: exit 100"
	done
	test ! -e "$T/$b.store"
	ok $? "$b: no usage error opened the store"
done

# The same commands, right, are not usage errors: the controls.
got=$(run file -n -x count)
like "$got" "^rc=0$" "file -n: -x count: configuration ok"
got=$(run file -x count)
like "$got" "^rc=0$" "file: -x count: exit 0"
is "$(cat "$T/out")" '{"records":0,"kv":0}' "file: -x count: an empty store"
got=$(run postgres -n -x count)
like "$got" "^rc=0$" "postgres -n: -x count: configuration ok"
got=$(run postgres -x count)
like "$got" "^rc=111$" "postgres: -x count without the server: exit 111"
like "$got" "postgres store: " "postgres: -x count: the store is named"

done_testing
