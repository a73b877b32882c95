#!/bin/sh
# Benchmark of supervisor/supervisor against runsv (runit) and s6-supervise
# (s6), in the same run, supervising the same trivial program
# (t/bench/supervisor/stamp: writes a CLOCK_REALTIME stamp at exec, then
# sleeps).
#
#   restart latency   SIGKILL of a child that has run at least
#                     BENCH_UPTIME_MS (default 1100) -> the replacement's
#                     first instant; median of BENCH_REPS (default 20)
#                     restarts each, the supervisors taking turns.  Our
#                     runfile sets stable_after = 1s, so each of these is a
#                     "first restart" (immediate; later ones back off), and
#                     crash_limit = 0 (the kills would trip the cutoff).
#                     runsv runs twice: with the program as ./run, and with
#                     a "#!/bin/sh exec program" run script.  All of it
#                     twice: under the normal scheduler, and (if chrt -f
#                     works: root or CAP_SYS_NICE) all under SCHED_FIFO,
#                     which keeps the machine's other load out of it.
#   memory            RSS of the supervising process(es) per service (and
#                     PSS and USS, which do not count shared library pages
#                     in full): runsv and s6-supervise run one process per
#                     service; ours one process for N services (N = 1 and
#                     N = 10).  Measured while supervising, before any kill.
#
# Prints "figure | ours | peer | ratio" rows (ratio = ours / peer: lower
# is better for both figures) and appends one JSON object per row to
# t/bench/results.json.  Run from the top of the tree (make bench).
set -u
TOP=$(pwd)
SV=$TOP/supervisor/supervisor
STAMP=$TOP/t/bench/supervisor/stamp
RESTART=$TOP/t/bench/supervisor/restart
RESULTS=$TOP/t/bench/results.json
REPS=${BENCH_REPS:-20}
UPTIME=${BENCH_UPTIME_MS:-1100}

for x in "$SV" "$STAMP" "$RESTART"; do
	[ -x "$x" ] || { echo "supervisor.sh: $x not built (make)" >&2; exit 100; }
done
for c in runsv s6-supervise jq; do
	command -v $c >/dev/null 2>&1 ||
		{ echo "supervisor.sh: $c not found (make deps)" >&2; exit 100; }
done

mkdir -p "$TOP/t/tmp"
W=$(mktemp -d "$TOP/t/tmp/bench-supervisor.XXXXXX")
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# mem PID: "RSS PSS USS" in kB (USS: private pages, what the process alone
# costs; RSS also counts every shared library page it touched)
mem() {
	awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 }
	    /^Private_(Clean|Dirty):/ { u += $2 } END { print r, p, u }' \
		"/proc/$1/smaps_rollup"
}

median() { sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "nan"; exit }
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wait_stamps FILE N: until FILE has N lines (10 s at most)
wait_stamps() {
	_ws=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
		_ws=$((_ws + 1))
		[ $_ws -gt 1000 ] && { echo "supervisor.sh: no stamp in $1" >&2; return 1; }
		sleep 0.01
	done
}

# start_ours DIR N [PREFIX...]: our supervisor with N stamp services
start_ours() {
	d=$1
	nsv=$2
	shift 2
	mkdir -p "$d"
	{
		echo "[supervisor]"
		echo "stable_after = 1s"
		echo "crash_limit = 0"
		i=1
		while [ $i -le "$nsv" ]; do
			mkdir -p "$d/s$i"
			printf '[s%d]\ncommand = %s\ncwd = %s/s%d\n' $i "$STAMP" "$d" $i
			i=$((i + 1))
		done
	} >"$d/run.ini"
	"$@" "$SV" -q -r "$d/run" "$d/run.ini" 2>"$d/log" &
	PID=$!
	PIDS="$PIDS $PID"
	i=1
	while [ $i -le "$nsv" ]; do
		wait_stamps "$d/s$i/stamps" 1 || return 1
		i=$((i + 1))
	done
}

# start_dir CMD DIR sh|- [PREFIX...]: runsv or s6-supervise on a service
# directory whose run is the stamp program itself (-, no shell), or (sh) a
# "#!/bin/sh exec stamp" run script (the usual runit way)
start_dir() {
	sup=$1
	dir=$2
	how=$3
	shift 3
	mkdir -p "$dir"
	if [ "$how" = sh ]; then
		printf '#!/bin/sh\nexec %s\n' "$STAMP" >"$dir/run"
		chmod +x "$dir/run"
	else
		ln -s "$STAMP" "$dir/run"
	fi
	(cd "$dir" && exec "$@" "$sup" .) 2>"$dir.log" &
	PID=$!
	PIDS="$PIDS $PID"
	wait_stamps "$dir/stamps" 1
}

stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# latency NAME: the median of NAME's restart latencies, in ms
latency() {
	median <"$W/$1.lat" | awk '{ printf "%.3f", $1 / 1000 }'
	awk -v n="$1" '{ s = s " " $1 } END { print "# " n " restart latencies (us):" s }' \
		"$W/$1.lat" >&2
}

row() {	# figure unit ours peer peervalue target-ratio-max|null
	ratio=$(awk -v a="$3" -v b="$5" 'BEGIN { printf "%.4f", (b > 0) ? a / b : 0 }')
	met=$(awk -v r="$ratio" -v t="$6" 'BEGIN {
		print t == "null" ? "null" : (r <= t) ? "true" : "false" }')
	printf '%s vs %s (%s) | %s | %s | %s\n' "$1" "$4" "$2" "$3" "$5" "$ratio"
	obj=$(jq -cn --arg fig "$1" --arg unit "$2" --arg peer "$4" \
		--argjson ours "$3" --argjson pv "$5" --argjson ratio "$ratio" \
		--argjson target "$6" --argjson met "$met" --argjson reps "$REPS" \
		'{bench: "supervisor", figure: $fig, unit: $unit, ours: $ours,
		  peer: $peer, peer_value: $pv, ratio: $ratio,
		  target_ratio_max: $target, met: $met, reps: $reps}')
	[ -s "$RESULTS" ] || echo '[]' >"$RESULTS"
	jq --argjson o "$obj" '. + [$o]' "$RESULTS" >"$RESULTS.tmp" &&
		mv "$RESULTS.tmp" "$RESULTS"
}

echo "# supervisor benchmark: $REPS restarts each after ${UPTIME} ms of uptime;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs" >&2

# lat_run TAG [PREFIX...]: restart latency of the four, all running at
# once, one kill each in turn (so a change of load hits them alike), each
# started under PREFIX (e.g. chrt -f 10); medians in TAG_ours,
# TAG_runsv, TAG_runsvsh, TAG_s6; memory of the first run in *_mem*.
lat_run() {
	tag=$1
	shift
	start_ours "$W/$tag/ours" 1 "$@" || exit 111
	OURS=$PID
	start_dir runsv "$W/$tag/runsv" - "$@" || exit 111
	RUNSV=$PID
	start_dir runsv "$W/$tag/runsv-sh" sh "$@" || exit 111
	RUNSVSH=$PID
	start_dir s6-supervise "$W/$tag/s6" - "$@" || exit 111
	S6=$PID
	if [ -z "${ours_mem1:-}" ]; then
		ours_mem1=$(mem $OURS)
		runsv_mem=$(mem $RUNSV)
		s6_mem=$(mem $S6)
	fi
	n=0
	while [ $n -lt "$REPS" ]; do
		for x in ours:ours/s1 runsv:runsv runsv-sh:runsv-sh \
		    s6-supervise:s6; do
			"$@" "$RESTART" "$W/$tag/${x#*:}/stamps" 1 "$UPTIME" \
			    >>"$W/$tag/${x%%:*}.lat" || {
				echo "supervisor.sh: ${x%%:*}: no restart" >&2
				exit 111
			}
		done
		n=$((n + 1))
	done
	eval "${tag}_ours=\$(latency $tag/ours)"
	eval "${tag}_runsv=\$(latency $tag/runsv)"
	eval "${tag}_runsvsh=\$(latency $tag/runsv-sh)"
	eval "${tag}_s6=\$(latency $tag/s6-supervise)"
	for p in $OURS $RUNSV $RUNSVSH $S6; do stop $p; done
}

# Under the normal scheduler, then (root, or CAP_SYS_NICE) all of them
# under SCHED_FIFO: on a busy machine that measures the supervisors
# rather than the other load.
lat_run cfs
if chrt -f 10 true 2>/dev/null; then
	lat_run fifo chrt -f 10
fi

# memory with 10 services
start_ours "$W/ours10" 10 || exit 111
ours_mem10=$(mem $PID)
stop $PID
echo "# memory kB (RSS PSS USS): ours N=1 $ours_mem1, ours N=10 $ours_mem10," \
	"runsv $runsv_mem, s6-supervise $s6_mem" >&2

echo "figure | ours | peer | ratio"
# targets: 2x faster than runsv, 100x faster than s6-supervise, no more
# memory per service than s6-supervise
row "restart latency, median" ms "$cfs_ours" runsv "$cfs_runsv" 0.5
row "restart latency, median" ms "$cfs_ours" "runsv (sh run script)" "$cfs_runsvsh" 0.5
row "restart latency, median" ms "$cfs_ours" s6-supervise "$cfs_s6" 0.01
if [ -n "${fifo_ours:-}" ]; then
	row "restart latency, median, SCHED_FIFO" ms "$fifo_ours" runsv "$fifo_runsv" 0.5
	row "restart latency, median, SCHED_FIFO" ms "$fifo_ours" "runsv (sh run script)" "$fifo_runsvsh" 0.5
	row "restart latency, median, SCHED_FIFO" ms "$fifo_ours" s6-supervise "$fifo_s6" 0.01
fi
# memory rows: kind (1 RSS, 2 PSS, 3 USS), services
memrow() {
	o1=$(echo "$ours_mem1" | cut -d' ' -f"$1")
	o10=$(echo "$ours_mem10" | cut -d' ' -f"$1" | awk '{ printf "%.1f", $1 / 10 }')
	r=$(echo "$runsv_mem" | cut -d' ' -f"$1")
	s6=$(echo "$s6_mem" | cut -d' ' -f"$1")
	row "$2 per service, 1 service" kB "$o1" s6-supervise "$s6" 1
	row "$2 per service, 10 services" kB "$o10" s6-supervise "$s6" 1
	[ "$1" = 1 ] || return 0
	row "$2 per service, 1 service" kB "$o1" runsv "$r" null
	row "$2 per service, 10 services" kB "$o10" runsv "$r" null
}
memrow 1 RSS
memrow 2 PSS
memrow 3 USS
