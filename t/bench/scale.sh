#!/bin/sh
# scale.sh: decoding a block's System.Events into the observer's JSON form,
# blocks per second: our decoder (observer/meta.c, via evcheck -b) against
# polkadot-js (@polkadot/types createType + the same JSON form), on the
# same dev node blocks in the same run.  BENCH_BLOCKS (default 3000).
. t/lib.sh
. t/bench/lib.sh
. t/scale/setup.sh
N=${BENCH_BLOCKS:-3000}

t/devnode/devnode -a 127.0.0.1:0 -A "$T/url" -i 0 -n "$N" -q 2>"$T/log" &
track_pid $!
wait_for 30 test -s "$T/url" || { cat "$T/log" >&2; exit 1; }
peer=$(node t/scale/bench-decode.mjs "$(cat "$T/url")" "$N" "$T/blocks.jsonl") ||
    exit 1
ours=$(t/scale/evcheck -b 10 "$T/blocks.jsonl") || exit 1
rate() { echo "$1" | jq '.blocks / .seconds | floor'; }
diag "$(echo "$ours" | jq -r '"\(.blocks) blocks, \(.events) events"') (ours, 10 rounds)"
bench_row scale "events decoded to JSON" "blocks/s" "$(rate "$ours")" \
    polkadot-js "$(rate "$peer")"
