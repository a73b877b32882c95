#!/bin/sh
# t2270: the observer's options and configuration checks: -n accepts a
# good file and refuses, with file:line and exit 100, events that are not
# Pallet.Event, a bad endpoint, a bad batch size, a missing key; -h and -V;
# an operand is a usage error; -s without a running observer exits 3.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
[ -x "$OBSERVER" ] || skip_all "not built: run make"
plan 20
URL=http://127.0.0.1:1
D=$T/o
obs_conf "$D" alice
C=$D/coord.ini

"$OBSERVER" -f "$C" -n 2>"$T/e"
ok $? "-n: a good configuration"
like "$(cat "$T/e")" "configuration ok" "-n: says so"

bad() {
	cp "$C" "$T/bad.ini"
	printf '%s\n' "$1" >>"$T/bad.ini"
	"$OBSERVER" -f "$T/bad.ini" -n 2>"$T/e"
	is "$?" 100 "-n: $3: exit 100"
	like "$(cat "$T/e")" "$2" "-n: $3: says what and where"
}
bad "events = ValidatorSets.NewSet, NoDot" \
    "^observer: fatal: .*bad.ini:[0-9]+: events: .*NoDot" "an event name without a pallet"
bad "batch_blocks = 0" "^observer: fatal: .*bad.ini:[0-9]+: batch_blocks must be 1 to 1024" \
    "a batch of 0 blocks"
bad "start_block = -3" "start_block must not be negative" "a negative start block"
sed 's|^rpc_endpoint = .*|rpc_endpoint = ftp://x|' "$C" >"$T/ep.ini"
"$OBSERVER" -f "$T/ep.ini" -n 2>"$T/e"
is "$?" 100 "-n: an endpoint that is not HTTP: exit 100"
like "$(cat "$T/e")" "rpc_endpoint: RPC URL must start with http://" \
    "-n: ... says so"
bad "adaptive = maybe" "bad.ini:[0-9]+: .*adaptive" "adaptive not a boolean"
rm "$D/keys/observer.key"
"$OBSERVER" -f "$C" -n 2>"$T/e"
is "$?" 100 "-n: no service key: exit 100"
like "$(cat "$T/e")" "coord-keygen" "-n: ... says how to make one"

"$OBSERVER" -h >"$T/h" 2>&1
is "$?" 0 "-h: exit 0"
like "$(cat "$T/h")" "-s +print the running observer's status" "-h: lists -s"
like "$("$OBSERVER" -V)" "^observer [0-9]" "-V: the version"
"$OBSERVER" -f "$C" extra 2>/dev/null
is "$?" 100 "an operand: usage error, exit 100"
"$OBSERVER" -f "$C" -s >"$T/s.out" 2>"$T/e"
is "$?" 3 "-s without a status file: exit 3 (not running)"
like "$(cat "$T/s.out")" "^observer not-running: no status file .*/observer.status" \
    "-s: says why"
done_testing
