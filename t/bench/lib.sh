# lib.sh: helpers for benchmark scripts (source from the top of the tree).
#
#   bench_row BENCH FIGURE UNIT OURS PEER PEERVALUE [BETTER]
#       prints "FIGURE (UNIT) | OURS | PEER PEERVALUE | RATIO" where RATIO
#       is OURS / PEERVALUE, and appends the figures to results.json.
#       BETTER is "higher" (default) or "lower": which way is good.
#   now_ns      nanoseconds, monotonic enough for a wall-clock interval
RESULTS=${RESULTS:-$(pwd)/t/bench/results.json}

now_ns() { date +%s%N; }

bench_row() {
	_ratio=$(awk -v a="$4" -v b="$6" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	printf '%s (%s) | %s | %s %s | %s\n' "$2" "$3" "$4" "$5" "$6" "$_ratio"
	[ -s "$RESULTS" ] || echo '[]' >"$RESULTS"
	jq --arg b "$1" --arg f "$2" --arg u "$3" --argjson o "$4" \
	    --arg p "$5" --argjson pv "$6" --argjson r "$_ratio" \
	    --arg better "${7:-higher}" \
	    '. + [{bench: $b, figure: $f, unit: $u, ours: $o, peer: $p,
	      peer_value: $pv, ratio: $r, better: $better}]' \
	    "$RESULTS" >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
}
