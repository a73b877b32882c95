# lib-net.sh: a network of validators (t/net/mknet.sh) for the end-to-end
# tests.  Source after t/lib.sh and t/lib-kafka.sh (kafka_start exports
# BOOTSTRAP).
#
#   net_require          skip (fail in CI) unless everything is built
#   net_make DIR [NAME...]  the network's configs and runfile in DIR (free
#                        ports; the block interval is $NET_INTERVAL, 500ms
#                        by default); NAMEs default to alice bob carol dave
#   net_start DIR        its supervisor; waits until every service is up
#   net_stop DIR         stop it (SIGTERM; waits for the supervisor)
#   net_ctl DIR CMD SVC  supervisor -c CMD SVC (start, stop, restart)
#   net_rpc DIR METHOD [PARAMS]  a JSON-RPC call to the dev node: result
#   net_head DIR         the dev node's finalized head number
#   net_dump DIR NAME TOPIC  NAME's topic (a [topics] key) as JSON Lines
#   net_names DIR        the validators' names
#   net_wait SECS CMD... wait_for, trying every second (heavy checks)
#   signing DIR          every validator's signing topic, each record
#                        tagged with its validator (.v)
#   unfinished FILE      sign ids of FILE (signing's output, in DIR) with a
#                        PartyFormed and not a SignCompleted everywhere
#   all_done DIR         none unfinished (DIR/signing.json left behind)
#   started FILE         sign ids with a PartyFormed in FILE
#   more_sessions DIR N  at least N sessions started
#   peer_is DIR NAME PEER UP  NAME's connector metrics say PEER is UP (0/1)
#   once_checks DIR KIND two checks: nothing completed or delivered twice
#   keygens DIR NAME     KeyGen events on NAME's topic, network/session
#   head_at_least N      the dev node's head (lib-observer's $URL) >= N
#   results_at_least DIR N  every observer published N InstructionResults
#   net_request DIR NET  every processor asks for the same signature (a
#                        processor's own request) by the latest set of NET
#   archive_check DIR NAME  NAME's archive against its topics (stopped)
#   archived_now DIR NAME  records NAME's archiver stored (its metrics)
NET_MK=$TOP/t/net/mknet.sh
SUPERVISOR=$TOP/supervisor/supervisor
PROCSIM=${PROCSIM:-$TOP/t/procsim/procsim}

net_require() {
	for _b in observer/observer connector/connector signer/signer \
	    archiver/archiver supervisor/supervisor keygen/coord-keygen \
	    t/devnode/devnode t/procsim/procsim; do
		[ -x "$TOP/$_b" ] || skip_all "$_b not built: run make"
	done
	need_cmd jq "the tests read JSON Lines with jq"
	need_cmd curl "the tests ask the dev node with curl"
	need_cmd python3 "free ports and the party reference are Python"
}

# net_ports N: N distinct free TCP ports on 127.0.0.1
net_ports() {
	python3 -c 'import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

net_make() {
	_nd=$1
	shift
	[ $# -gt 0 ] || set -- alice bob carol dave
	_np=$(net_ports $(($# + 1)))
	mkdir -p "$_nd"
	echo "$@" >"$_nd/names"
	echo "127.0.0.1:${_np%% *}" >"$_nd/rpc"
	NET_BOOTSTRAP=$BOOTSTRAP NET_RPC=$(cat "$_nd/rpc") \
	    NET_INTERVAL=${NET_INTERVAL:-500ms} NET_P2P_PORTS=${_np#* } \
	    sh "$NET_MK" "$_nd" "$@" >"$_nd/mknet.log" 2>&1 || {
		sed 's/^/# /' "$_nd/mknet.log"
		echo "Bail out! mknet.sh failed"
		exit 1
	}
}

net_names() { cat "$1/names"; }

# net_up DIR: every service up (or a one-shot finished)
net_up() {
	"$SUPERVISOR" -f "$1/supervisor.ini" -r "$1/run" -s 2>/dev/null |
	    awk 'NR > 1 && $2 != "up" && $2 != "finished" { bad = 1 }
		END { exit bad || NR < 2 }'
}

net_start() {
	"$SUPERVISOR" -f "$1/supervisor.ini" -r "$1/run" "$1/net.run" \
	    >>"$1/supervisor.out" 2>>"$1/supervisor.log" &
	echo $! >"$1/supervisor.pid"
	track_pid $!
	if ! wait_for 120 net_up "$1"; then
		"$SUPERVISOR" -f "$1/supervisor.ini" -r "$1/run" -s 2>&1 |
		    sed 's/^/# /'
		tail -n 30 "$1/supervisor.log" | sed 's/^/# /'
		echo "Bail out! the network did not come up"
		exit 1
	fi
}

net_stop() {
	_ns=$(cat "$1/supervisor.pid")
	date +%s%3N >"$1/stop_ms"
	kill -TERM "$_ns" 2>/dev/null
	wait_for 60 sh -c "! kill -0 $_ns 2>/dev/null"
}

net_ctl() {
	"$SUPERVISOR" -f "$1/supervisor.ini" -r "$1/run" -c "$2" "$3"
}

net_rpc() {
	curl -sS --max-time 10 -H 'Content-Type: application/json' \
	    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" \
	    "http://$(cat "$1/rpc")/" | jq -c '.result'
}

net_head() {
	net_rpc "$1" chain_getHeader | jq -r '.number' |
	    python3 -c 'import sys; print(int(sys.stdin.read().strip(), 16))'
}

net_dump() {
	"$PROCSIM" -q -f "$1/$2/coord.ini" -D "$3"
}

# net_wait SECONDS CMD...: wait_for for heavy conditions (each try reads
# topics whole): tried every second, not every 50 ms
net_wait() {
	_nw_end=$(( $(date +%s) + $1 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge $_nw_end ] && return 1
		sleep 1
	done
}

# signing DIR: every validator's signing topic, each line tagged with
# the validator ({"v": NAME, ...record})
signing() {
	for _n in $(net_names "$1"); do
		net_dump "$1" "$_n" signing | jq -c --arg v "$_n" '. + {v: $v}'
	done
}

# unfinished FILE: sign ids with a PartyFormed anywhere and not a
# SignCompleted on all four (empty when all are done)
unfinished() {
	jq -rs --argjson n "$(wc -w <"$(dirname "$1")/names")" '(map(select(.type == "PARTY_FORMED") | .body.sign_id) |
	    unique) as $started |
	    (map(select(.type == "SIGN_COMPLETED") | [.body.sign_id, .v]) |
	    unique) as $done |
	    $started[] | . as $id |
	    select(([$done[] | select(.[0] == $id)] | length) < $n)' "$1"
}

all_done() {
	signing "$1" >"$1/signing.json"
	[ -s "$1/signing.json" ] && [ -z "$(unfinished "$1/signing.json")" ]
}

# started FILE: the sign ids of FILE (signing's output) with a PartyFormed
started() {
	jq -r 'select(.type == "PARTY_FORMED") | .body.sign_id' "$1" |
	    sort -u
}

# more_sessions DIR N: at least N sessions started (DIR/signing.json)
more_sessions() {
	signing "$1" >"$1/signing.json"
	[ "$(started "$1/signing.json" | wc -l)" -ge "$2" ]
}

# peer_is DIR NAME PEER UP: coord_connector_peer_up of PEER in NAME's
# metrics is UP
peer_is() {
	[ "$(awk -v p="peer=\"$3\"" 'index($0, "coord_connector_peer_up{") == 1 &&
	    index($0, p) { print $2 }' "$1/$2/metrics/$2.connector.prom")" = "$4" ]
}

# once_checks DIR KIND: two checks on DIR/signing.json (all_done wrote
# it): one SignCompleted per session on each validator; each member's
# protocol message (sign id, attempt, stage, member) given to each
# processor once
once_checks() {
	is "$(jq -r 'select(.type == "SIGN_COMPLETED") | .v + " " +
	    .body.sign_id' "$1/signing.json" | sort | uniq -d | wc -l)" 0 \
	    "$2: one SignCompleted per session on each validator"
	is "$(jq -r 'select(.type == "SIGN_MESSAGE" and (.from | endswith(
	    ".signer"))) | [.v, .body.sign_id, .body.attempt,
	    .body.stage, .body.validator] | map(tostring) | join(" ")' \
	    "$1/signing.json" | sort | uniq -d | wc -l)" 0 \
	    "$2: no processor got a protocol message twice"
}

# keygens DIR NAME: the KeyGen events on NAME's topic, network/session
keygens() {
	net_dump "$1" "$2" serai_observation | jq -r 'select(.type ==
	    "SERAI_EVENT" and .body.key_gen != null) | .body.key_gen.set |
	    "\(.network)/\(.session)"' | sort
}

first_keygens() {
	for _n in $(net_names "$1"); do
		[ "$(keygens "$1" "$_n" | grep -c '/0$')" -eq 3 ] || return 1
	done
}

caught_up() {
	for _n in $(net_names "$1"); do
		_h=$(net_dump "$1" "$_n" serai_observation | jq -r 'select(.type ==
		    "BLOCK_UPDATE") | .body.number' | tail -n 1)
		[ "$_h" = "$2" ] || return 1
	done
}

head_at_least() { [ "$(head_num)" -ge "$1" ]; }

# results_at_least DIR N: every observer published N InstructionResults
results_at_least() {
	for _n in $(net_names "$1"); do
		[ "$(net_dump "$1" "$_n" serai_observation | jq -r 'select(.type ==
		    "INSTRUCTION_RESULT") | .type' | wc -l)" -ge "$2" ] ||
		    return 1
	done
}

# net_request DIR NETWORK: each validator's processor posts the same
# SignRequest (a random sign id) for NETWORK's latest set, at the head
# block; prints the sign id
net_request() {
	_nh=$(head_num)
	_ns=$(( _nh >= 1 ? (_nh - 1) / 20 : 0 ))
	_nb=$(rpc chain_getBlockHash "[$_nh]" | tr -d '"' | sed 's/^0x//')
	_ni=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for _n in $(net_names "$1"); do
		"$PROCSIM" -q -f "$1/$_n/coord.ini" -R "$2" "$_ns" "$_ni" \
		    "$_nb" "request $_ni" || return 1
	done
	echo "$_ni"
}

# archive_check DIR NAME: after net_stop, NAME's archive (the archiver's
# export) against its topics, records compared by (topic, sender, intent,
# creation time).  Prints "missing M extra E late L" and the first
# differences: missing, records of the topics not in the archive; extra,
# archived records not in the topics; late, records the archiver could
# not have read: a sender's tail on a topic (records are keyed by sender,
# so a sender's records keep their order) after the last record of it the
# archiver stored, created at most a second before the stop began (a service's last heartbeat or commit while
# the validator shuts down), not counted as missing.
archive_check() {
	"$TOP/archiver/archiver" -q -f "$1/$2/coord.ini" -x export \
	    >"$1/$2.export" || return 1
	for _t in serai_observation chain_observation chain_health signing \
	    p2p_outbound p2p_inbound coordinator_state coordinator_dlq; do
		_tn=$(sed -n "s/^$_t = //p" "$1/$2/coord.ini")
		net_dump "$1" "$2" "$_t" | jq -c --arg t "$_tn" '{t: $t,
		    s: .from, i: .intent, c: .created_ms}'
	done >"$1/$2.topics"
	python3 - "$1/$2.topics" "$1/$2.export" "$(cat "$1/stop_ms")" <<'PY'
import collections, json, sys
top, order = collections.Counter(), collections.defaultdict(list)
for l in open(sys.argv[1]):
    r = json.loads(l)
    k = (r["t"], r["s"], r["i"].removeprefix("0x"), str(r["c"]))
    top[k] += 1
    order[(r["t"], r["s"])].append(k)
arc = collections.Counter()
for l in open(sys.argv[2]):
    r = json.loads(l)
    if "topic" in r:
        arc[(r["topic"], r["sender"], r["intent"], str(r["time"]))] += 1
missing, extra = top - arc, arc - top
stop, late = int(sys.argv[3]), 0
for t, ks in order.items():
    last = max((i for i, k in enumerate(ks) if arc[k] > 0), default=-1)
    for k in ks[last + 1:]:
        if missing[k] > 0 and int(k[3]) >= stop - 1000:
            missing[k] -= 1
            late += 1
missing = +missing
print("missing %d extra %d late %d" % (sum(missing.values()),
      sum(extra.values()), late))
for k in list(missing)[:3]:
    print("# missing", k)
for k in list(extra)[:3]:
    print("# extra", k)
PY
}

# archived_now DIR NAME: records NAME's archiver stored (its metrics)
archived_now() {
	awk 'index($1, "coord_archiver_records_stored_total{") == 1 { printf "%d", $2 }' \
	    "$1/$2/metrics/$2.archiver.prom" 2>/dev/null
}
