# lib-observer.sh: the observer's tests' helpers (t/t22xx-t29xx).  Source
# after t/lib.sh, t/lib-kafka.sh and t/lib-coord.sh.
#
#   dn_start DIR [devnode args]   a dev node in DIR (random port); sets URL
#   rpc METHOD [PARAMS_JSON]      call $URL, print the result (jq -c)
#   obs_conf DIR NAME [LINES]     DIR/coord.ini for validator NAME with keys
#                                 for observer, obstool, busprobe and
#                                 $OBS_PROGS, [observation]
#                                 pointing at $URL, LINES appended to it
#   obs_start DIR [args]          observer -f DIR/coord.ini against
#                                 $BOOTSTRAP, readiness in DIR/ready, stderr
#                                 in DIR/err (the status file of an earlier
#                                 run removed); sets OBS_PID
#   obs_stop PID                  SIGTERM and wait; RC is its exit code
#   obs_dump DIR KEY [args]       obstool dump of topic KEY (JSON Lines)
#   obs_tool DIR args             obstool with DIR's config and $BOOTSTRAP
#   obs_topics DIR                create the topics (real broker only)
#   blocks FILE                   the BlockUpdate numbers in a dump, in order
#   events FILE                   the SeraiEvents of a dump, one per line:
#                                 number index pallet.name fields (sorted)
#   expected FROM TO [FILTER]     the events dev_expected says blocks FROM..TO
#                                 hold, filtered (jq) to the default six, in
#                                 the same form
#   head_num                      the dev node's head block number
#   jhex HEX, unhex 0xHEX         hex as -J writes bytes, and its bytes
OBSERVER=$TOP/observer/observer
OBSTOOL=$TOP/observer/obstool
DEVNODE=$TOP/t/devnode/devnode
SIX='["ValidatorSets.NewSet","ValidatorSets.KeyGen","ValidatorSets.AcceptedHandover","ValidatorSets.SetRetired","InInstructions.Batch","Coins.BurnWithInstruction"]'

dn_start() {
	_dd=$1
	shift
	mkdir -p "$_dd"
	rm -f "$_dd/url"
	"$DEVNODE" -a 127.0.0.1:0 -A "$_dd/url" "$@" >"$_dd/dn.out" \
	    2>"$_dd/dn.err" </dev/null &
	echo $! >"$_dd/dn.pid"
	track_pid $!
	if ! wait_for 20 test -s "$_dd/url"; then
		cat "$_dd/dn.err" >&2
		echo "Bail out! the dev node did not start"
		exit 1
	fi
	URL=$(cat "$_dd/url")
	export URL
}

rpc() {
	curl -s -m 10 -H 'Content-Type: application/json' -d \
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" \
	    "$URL" | jq -c .result
}

head_num() {
	rpc dev_status | jq .head
}

obs_conf() {
	_od=$1
	_on=$2
	shift 2
	coord_conf "$_od" "$_on" observer obstool busprobe ${OBS_PROGS:-} \
	    >/dev/null
	{
		echo "[observation]"
		echo "rpc_endpoint = $URL"
		for _l in "$@"; do
			echo "$_l"
		done
	} >>"$_od/coord.ini"
}

obs_start() {
	_od=$1
	shift
	rm -f "$_od/ready" "$_od/run/observer.status"
	"$OBSERVER" -f "$_od/coord.ini" -X "bootstrap.servers=$BOOTSTRAP" \
	    -d 3 "$@" 3>"$_od/ready" 2>>"$_od/err" </dev/null >/dev/null &
	OBS_PID=$!
	track_pid $OBS_PID
}

obs_stop() {
	kill -TERM "$1" 2>/dev/null
	# gone, or a zombie waiting for our wait
	if ! wait_for 15 sh -c "! kill -0 $1 || ps -o stat= -p $1 |
	    grep -q Z"; then
		diag "observer $1 still running 15 s after SIGTERM: SIGKILL"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	RC=$?
}

# The suite's topics, as a deployment creates them (the dev broker creates
# them on first use and never answers CreateTopics).
obs_topics() {
	[ "$kind" = mock ] && return 0
	"$BUSPROBE" -f "$1/coord.ini" -X "bootstrap.servers=$BOOTSTRAP" \
	    topics 2>>"$1/topics.err"
}

obs_tool() {
	_od=$1
	shift
	"$OBSTOOL" -f "$_od/coord.ini" -X "bootstrap.servers=$BOOTSTRAP" "$@"
}

obs_dump() {
	_od=$1
	_ok=$2
	shift 2
	obs_tool "$_od" -w 60 "$@" dump "$_ok" 2>>"$_od/dump.err"
}

blocks() {
	jq -r 'select(.type == "BLOCK_UPDATE") | .body.number' "$1"
}

# JSON with sorted keys, so key order never matters
SORTK='def sk: if type == "object" then to_entries | sort_by(.key) |
    map(.value |= sk) | from_entries elif type == "array" then map(sk)
    else . end;'

events() {
	jq -r "$SORTK"'select(.type == "SERAI_EVENT") | .body |
	    "\(.block_number) \(.event_index) \(.pallet).\(.name) \(.fields_json | fromjson | sk | tojson)"' \
	    "$1"
}

expected() {
	_from=$1
	_to=$2
	_filt=${3:-$SIX}
	# the batch on stdin: for thousands of blocks it is longer than one
	# argument may be (128 KiB)
	jq -nc --argjson a "$_from" --argjson b "$_to" \
	    '[range($a; $b + 1) | {jsonrpc: "2.0", id: ., method: "dev_expected", params: [.]}]' |
	curl -s -m 60 -H 'Content-Type: application/json' --data-binary @- "$URL" |
	    jq -r --argjson six "$_filt" "$SORTK"'sort_by(.id) | .[] |
	    .id as $n | .result[] | select((.pallet + "." + .name) as $k |
	    $six | index($k) != null or $six == ["*"]) |
	    "\($n) \(.index) \(.pallet).\(.name) \(.fields | sk | tojson)"'
}

jhex() {
	printf '0x%s' "$(printf '%s' "${1#0x}" | tr A-F a-f)"
}

unhex() {
	printf '%s' "${1#0x}" | tr a-f A-F | basenc --base16 -d
}
