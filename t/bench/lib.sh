# lib.sh: helpers for benchmark scripts (source from the top of the tree).
#
#   bench_row BENCH FIGURE UNIT OURS PEER PEERVALUE [BETTER]
#       prints "FIGURE (UNIT) | OURS | PEER PEERVALUE | RATIO" where RATIO
#       is OURS / PEERVALUE, and appends the figures to results.json.
#       BETTER is "higher" (default) or "lower": which way is good.
#   now_ns      nanoseconds, monotonic enough for a wall-clock interval
#   bench_kcat_hops N FILE
#       N single broker hops on $BOOTSTRAP, each timed: one kcat -P per
#       message (its record's CreateTime is stamped when kcat produces it)
#       into topic bench-hop, a long-running kcat -C printing the
#       CreateTime of what arrives, the arrival stamped by the reader
#       (kcat -P buffers its input until end of file, so it cannot echo a
#       stream); the latencies in ms to FILE, one a line.  Needs T.
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

bench_kcat_hops() {
	_bh=$T/hop.$$.$(date +%s%N)
	mkfifo "$_bh" || return 1
	echo warmup | kcat -P -b "$BOOTSTRAP" -t bench-hop 2>/dev/null
	kcat -C -b "$BOOTSTRAP" -t bench-hop -o end -u -q -f '%T %s\n' \
	    -X fetch.wait.max.ms=20 >"$_bh" 2>/dev/null &
	_bhp=$!
	track_pid $_bhp
	python3 - "$_bh" "$BOOTSTRAP" "$1" >"$2" <<'PY'
import select, subprocess, sys, time
hop = open(sys.argv[1], "r")
boot, n = sys.argv[2], int(sys.argv[3])
time.sleep(2)                   # the consumer's assignment ("-o end")
for i in range(n + 1):
    subprocess.run(["kcat", "-P", "-b", boot, "-t", "bench-hop",
                    "-X", "linger.ms=0"], input=b"%d\n" % i, check=True)
    while True:
        r, _, _ = select.select([hop], [], [], 30)
        if not r:
            sys.exit("hop %d not seen in 30 s" % i)
        line = hop.readline().split()
        if len(line) == 2 and line[1] == str(i):
            break
    if i > 0:
        print(time.time() * 1000 - int(line[0]))
PY
	_bhr=$?
	kill -TERM $_bhp 2>/dev/null
	wait $_bhp 2>/dev/null
	rm -f "$_bh"
	return $_bhr
}
