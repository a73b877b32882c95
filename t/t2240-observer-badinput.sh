#!/bin/sh
# t2240: a node that answers nonsense.  A proxy between the observer and
# the dev node spoils some answers: malformed JSON, a hash that is not
# one, a header of the wrong shape, System.Events of the wrong type or
# truncated SCALE, an event of a pallet the metadata does not have,
# truncated metadata.  Each time: a clear log line, retries, no crash, and
# in the end every block and every event exactly as generated (never a
# half-decoded block).  Over a pipe (-o - -J); no broker needed.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
need_cmd jq "reads the published JSON"
need_cmd curl "talks to the dev node"
need_cmd python3 "the spoiling proxy"
[ -x "$OBSERVER" ] && [ -x "$DEVNODE" ] || skip_all "not built: run make"
plan 25

cat >"$T/proxy.py" <<'EOF'
# A JSON-RPC proxy that spoils `count` answers of a kind (POST /mode).
import http.server, json, sys, urllib.request
UP, PORTFILE = sys.argv[1], sys.argv[2]
EVENTS = "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
st = {"mode": "", "count": 0, "done": 0}

def spoil(method, params, r):
    m = st["mode"]
    if m == "nullhead" and method == "chain_getFinalizedHead":
        r["result"] = None
    elif m == "badheader" and method == "chain_getHeader" and r.get("result"):
        r["result"] = {"number": 7, "parentHash": 12}
    elif m == "wrongtype" and method == "state_getStorage" and params[0] == EVENTS:
        r["result"] = 12345
    elif m == "truncate" and method == "state_getStorage" and params[0] == EVENTS \
            and r.get("result") and len(r["result"]) > 20:
        h = r["result"]
        r["result"] = h[:len(h) // 2 // 2 * 2]
    elif m == "badpallet" and method == "state_getStorage" and params[0] == EVENTS \
            and r.get("result"):
        b = bytearray.fromhex(r["result"][2:])
        # compact count (1 byte below 64 events), phase 0 + u32, pallet
        if b[1] != 0:
            return False
        b[6] = 0xEE
        r["result"] = "0x" + b.hex()
    elif m == "badmeta" and method == "state_getMetadata":
        r["result"] = r["result"][:len(r["result"]) // 3 * 2]
    else:
        return False
    return True

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/mode":
            m, c = body.decode().split()
            st.update(mode=m, count=int(c), done=0)
            return self.reply(b"ok")
        if self.path == "/done":
            return self.reply(str(st["done"]).encode())
        up = urllib.request.urlopen(urllib.request.Request(UP, data=body,
            headers={"Content-Type": "application/json"})).read()
        if st["count"] > 0 and st["mode"] == "badjson":
            st["count"] -= 1
            st["done"] += 1
            return self.reply(b'{"jsonrpc":"2.0","result":[1,2')
        if st["count"] > 0:
            req, resp = json.loads(body), json.loads(up)
            reqs = req if isinstance(req, list) else [req]
            resps = resp if isinstance(resp, list) else [resp]
            byid = {q.get("id"): q for q in reqs}
            for r in resps:
                q = byid.get(r.get("id"), {})
                if st["count"] > 0 and "result" in r and spoil(q.get("method"),
                        q.get("params") or [], r):
                    st["count"] -= 1
                    st["done"] += 1
            up = json.dumps(resp).encode()
        self.reply(up)

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(PORTFILE + ".tmp", "w").write("http://127.0.0.1:%d\n" % s.server_address[1])
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
s.serve_forever()
EOF

D=$T/bad
dn_start "$D/dn" -i 0 -n 5 -s 9
NODE=$URL
python3 "$T/proxy.py" "$NODE" "$D/proxy" 2>"$D/proxy.err" &
track_pid $!
wait_for 10 test -s "$D/proxy"
ok $? "the spoiling proxy is up"
PROXY=$(cat "$D/proxy")
mode() { curl -s -d "$1 $2" "$PROXY/mode" >/dev/null; }
spoiled() { curl -s -d x "$PROXY/done"; }

mode badmeta 2
URL=$PROXY obs_conf "$D" alice "polling_interval = 100ms" "batch_blocks = 4"
"$OBSERVER" -f "$D/coord.ini" -o - -J >"$D/out.jsonl" 2>"$D/err" </dev/null &
OBS_PID=$!
track_pid $OBS_PID
total=6
wait_for 30 sh -c "[ \$(grep -c '\"BLOCK_UPDATE\"' '$D/out.jsonl') -ge $total ]"
ok $? "truncated metadata: retried, then blocks 0..5 published"
like "$(grep 'metadata' "$D/err" | head -1)" \
    "warning: starting: metadata of runtime 1 at 0x[0-9a-f]+…: .*byte" \
    "truncated metadata: says where it broke"

# spoil KIND COUNT PATTERN NAME: spoil COUNT answers, make blocks, wait for
# them all, check the log line among those written since (an earlier
# mode's line does not count)
spoil() {
	_from=$(($(wc -l <"$D/err") + 1))
	mode "$1" "$2"
	URL=$NODE rpc dev_produce '[12]' >/dev/null
	total=$((total + 12))
	wait_for 60 sh -c "[ \$(grep -c '\"BLOCK_UPDATE\"' '$D/out.jsonl') -ge $total ]"
	ok $? "$4: retried, then every block published ($total)"
	is "$(spoiled)" "$2" "$4: $2 answer(s) spoiled"
	like "$(tail -n +$_from "$D/err")" "$3" "$4: a clear log line"
}
spoil badjson 2 "poll: .*(JSON|parse|malformed|response)" "malformed JSON"
spoil nullhead 2 "chain_getFinalizedHead: not a hash" "null head"
spoil badheader 2 "(header of the finalized head|block [0-9]+): malformed header" \
    "a header of the wrong shape"
spoil wrongtype 2 "block [0-9]+: System.Events: not hex" "events of the wrong type"
spoil truncate 2 "block [0-9]+: events \(runtime 1\): .*" "truncated events"
spoil badpallet 2 "block [0-9]+: events \(runtime 1\): .*(238|0xee|pallet)" \
    "an event of an unknown pallet"

kill -0 $OBS_PID
ok $? "no crash"
is "$(blocks "$D/out.jsonl" | tr '\n' ' ')" "$(seq 0 $((total - 1)) | tr '\n' ' ')" \
    "every block once, in order"
events "$D/out.jsonl" >"$D/got.ev"
URL=$NODE expected 0 $((total - 1)) >"$D/want.ev"
cmp -s "$D/got.ev" "$D/want.ev"
ok $? "every event of interest exactly as generated (none half-decoded)"
obs_stop $OBS_PID
is "$RC" 0 "SIGTERM: exit 0"
done_testing
