#!/bin/sh
# t0162: usage (issue 13).  Each binary's -h lists only the options it
# takes, and the options it lists are the ones it takes: the supervisor
# and coord-keygen have no Kafka client and no messages (no -X, -i, -o,
# -J), and refuse them; an unknown option prints the usage on stderr and
# exits 100, in every binary.  No broker needed.
. t/lib.sh
PROGS="observer/observer connector/connector signer/signer archiver/archiver
supervisor/supervisor keygen/coord-keygen"
for b in $PROGS; do
	[ -x "$TOP/$b" ] || skip_all "$b not built: run make"
done
plan 32

for b in $PROGS; do
	p=${b#*/}
	"$TOP/$b" -h >"$T/$p.h" 2>"$T/$p.herr"
	is "$?" 0 "$p -h: exit 0"
	"$TOP/$b" -Z >"$T/$p.out" 2>"$T/$p.err"
	is "$?" 100 "$p -Z: exit 100"
	like "$(head -1 "$T/$p.err")" "^$p: warning: unknown option -Z$" \
	    "$p -Z: says so"
	# the usage on stderr is -h's
	tail -n +2 "$T/$p.err" | cmp -s - "$T/$p.h"
	ok $? "$p -Z: then the usage, as -h prints it"
done

# -h lists what the program takes, and no more
for p in supervisor coord-keygen; do
	grep -Eq -- '-X|-i in|-o out|-J' "$T/$p.h"
	ok $((!$?)) "$p -h: no -X, -i, -o, -J"
done
"$TOP/supervisor/supervisor" -X a=b -s >/dev/null 2>"$T/sx.err"
is "$?" 100 "supervisor -X: an option it does not take, exit 100"
"$TOP/keygen/coord-keygen" -J observer >/dev/null 2>&1
is "$?" 100 "coord-keygen -J: exit 100"
for p in observer connector signer archiver; do
	grep -q -- '^  -s  ' "$T/$p.h"
	ok $? "$p -h: lists -s, the status"
done
