#!/bin/sh
# demo.sh: the validator network on the embedded defaults.  Four
# validators (alice, bob, carol, dave), each with its own observer,
# connector, signer, archiver and processor simulator, config, keys and
# topics, under one supervisor, with the dev broker (librdkafka's mock
# cluster on 127.0.0.1:9092, the default bootstrap.servers) and the dev
# node (a Substrate JSON-RPC node on 127.0.0.1:9944, the default
# rpc_endpoint) whose validator sets are the four.  Nothing to configure.
#
# stdout is the timeline (t/timeline): one line per step, from a block
# finalized to a signature complete on all four and a key pair on chain.
# It stops on ^C or after DEMO_SECONDS, prints a summary whose last line
# starts "demo: summary:", and exits 0 only if every signing session it
# saw start completed on every validator.
#
#   DEMO_SECONDS=N   stop after N seconds (default: at ^C)
#   DEMO_JSON=1      the raw records as JSON Lines instead of the timeline
#   DEMO_DIR=DIR     state: configs, keys, archives, the services' log
#                    (default t/tmp/demo)
set -u
cd "$(dirname "$0")/.."
TOP=$(pwd)
D=${DEMO_DIR:-$TOP/t/tmp/demo}
rm -rf "$D"
mkdir -p "$D"
NET_DEVBROKER=yes sh t/net/mknet.sh "$D" alice bob carol dave ||
	{ echo "demo: fatal: could not write the network's configuration" >&2;
	  exit 111; }
D=$(cd "$D" && pwd)
names="alice bob carol dave"

echo "demo: four validators ($names), each with an observer, a" \
    "connector, a signer, an archiver and a processor simulator, on the" \
    "dev broker (127.0.0.1:9092) and the dev node (127.0.0.1:9944)" >&2
echo "demo: state in $D; the services' log: $D/services.log" >&2
[ -n "${DEMO_SECONDS:-}" ] && echo "demo: stopping after" \
    "$DEMO_SECONDS s" >&2 || echo "demo: ^C to stop" >&2

"$TOP/supervisor/supervisor" -f "$D/supervisor.ini" -r "$D/run" \
    "$D/net.run" >>"$D/services.log" 2>&1 &
sup=$!
# ^C reaches the whole process group: the supervisor stops the services,
# the timeline prints its summary; this script only waits for both.
trap ':' INT TERM

set --
[ -n "${DEMO_SECONDS:-}" ] && set -- -t "$DEMO_SECONDS"
[ "${DEMO_JSON:-}" = 1 ] && set -- "$@" -J
for n in $names; do set -- "$@" "$D/$n/coord.ini"; done
"$TOP/t/timeline/timeline" -p "$@"
rc=$?
kill -TERM "$sup" 2>/dev/null
# wait returns early when a signal interrupts it: wait again
while :; do
	wait "$sup"
	src=$?
	kill -0 "$sup" 2>/dev/null || break
done
if [ $src -ne 0 ]; then
	echo "demo: the supervisor exited $src: see $D/services.log" >&2
	[ $rc -eq 0 ] && rc=1
fi
exit $rc
