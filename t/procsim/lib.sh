# t/procsim/lib.sh: validators on one broker for the signer's tests.
# Source after t/lib.sh, t/lib-kafka.sh and t/lib-coord.sh.
#
#   sg_net DIR NAME...     one config per validator, DIR/NAME/coord.ini,
#                          with its own topic names (signing-NAME,
#                          p2p-outbound-NAME, ...; serai-observation and
#                          chain-health shared), keys for signer, procsim
#                          and connector, every validator's [validator]
#                          section (a random 32-byte key, weight 1, or
#                          $SG_WEIGHT_NAME), every other validator's
#                          services in [trust], and DIR/chain/coord.ini for
#                          chainsim ("chain.observer", trusted by all).
#                          Extra [signing] lines: $SG_SIGNING; static_set =
#                          $SG_STATIC (default yes: the [validator] list is
#                          the set when the chain has not said).  With
#                          SG_CHAINKEYS=yes each section also has a
#                          chain_key, another random key (DIR/NAME.chain),
#                          which chainsim's NewSet then names.
#   sg_topics DIR NAME...  create each validator's topics (1 partition)
#   sg_signer DIR NAME     start NAME's signer; waits for its readiness;
#                          pid in DIR/NAME/signer.pid, log DIR/NAME/signer.log
#   sg_procsim DIR NAME [OPTS]  start NAME's processor simulator; stdout in
#                          DIR/NAME/procsim.out
#   sg_relay DIR NAME...   start the relay (connector emulation) for NAMEs
#   sg_status DIR NAME     the signer's decision log (-L)
#   sg_dump DIR NAME TOPIC records of NAME's topic (a [topics] key) as JSON
#   sg_key DIR NAME        NAME's key in the sets (hex): its chain_key,
#                          else its public_key
#   sg_p2pkey DIR NAME     NAME's public_key (hex, its libp2p identity)
# All programs get -X bootstrap.servers=$BOOTSTRAP.
SIGNER=$TOP/signer/signer
PROCSIM=$TOP/t/procsim/procsim
CHAINSIM=$TOP/t/procsim/chainsim
P2PRELAY=$TOP/t/procsim/p2prelay

sg_require() {
	for _b in "$SIGNER" "$PROCSIM" "$CHAINSIM" "$P2PRELAY" "$KEYGEN"; do
		[ -x "$_b" ] || skip_all "$_b not built: run make"
	done
	need_cmd jq "the tests read JSON Lines with jq"
}

_sg_x() { echo "-X bootstrap.servers=$BOOTSTRAP -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X fetch.wait.max.ms=20"; }

sg_key() {
	if [ -f "$1/$2.chain" ]; then cat "$1/$2.chain"; else cat "$1/$2.pub"; fi
}
sg_p2pkey() { cat "$1/$2.pub"; }

sg_net() {
	_sgd=$1
	shift
	mkdir -p "$_sgd"
	for _sgn in "$@"; do
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$_sgd/$_sgn.pub"
		rm -f "$_sgd/$_sgn.chain"
		if [ "${SG_CHAINKEYS:-no}" = yes ]; then
			head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
			    >"$_sgd/$_sgn.chain"
		fi
		coord_conf "$_sgd/$_sgn" "$_sgn" signer procsim connector >/dev/null
		grep ' = ' "$_sgd/$_sgn/coord.ini" | grep "^$_sgn\\." >"$_sgd/$_sgn.trust"
	done
	coord_conf "$_sgd/chain" chain observer >/dev/null
	grep '^chain\.observer = ' "$_sgd/chain/coord.ini" >"$_sgd/chain.trust"
	for _sgn in "$@"; do
		for _sgo in "$@"; do
			[ "$_sgo" = "$_sgn" ] ||
			    cat "$_sgd/$_sgo.trust" >>"$_sgd/$_sgn/coord.ini"
		done
		cat "$_sgd/chain.trust" >>"$_sgd/$_sgn/coord.ini"
		cat >>"$_sgd/$_sgn/coord.ini" <<EOC
[topics]
signing = signing-$_sgn
p2p_outbound = p2p-outbound-$_sgn
p2p_inbound = p2p-inbound-$_sgn
chain_observation = chain-observation-$_sgn
coordinator_dlq = dlq-$_sgn
coordinator_state = state-$_sgn
[signing]
state_topic = signer-state-$_sgn
static_set = ${SG_STATIC:-yes}
${SG_SIGNING:-}
EOC
	done
	for _sgf in "$@" chain; do
		for _sgo in "$@"; do
			eval "_sgw=\${SG_WEIGHT_$_sgo:-1}"
			printf '[validator %s]\npublic_key = %s\nweight = %s\nendpoint = /ip4/127.0.0.1/tcp/1\n' \
			    "$_sgo" "$(cat "$_sgd/$_sgo.pub")" "$_sgw" >>"$_sgd/$_sgf/coord.ini"
			if [ -f "$_sgd/$_sgo.chain" ]; then
				printf 'chain_key = %s\n' \
				    "$(cat "$_sgd/$_sgo.chain")" \
				    >>"$_sgd/$_sgf/coord.ini"
			fi
		done
	done
}

sg_topics() {
	_sgd=$1
	shift
	for _sgn in "$@"; do
		# shellcheck disable=SC2046
		"$PROCSIM" -q -f "$_sgd/$_sgn/coord.ini" $(_sg_x) -C ||
		    { echo "Bail out! cannot create the topics of $_sgn"; exit 1; }
	done
}

sg_signer() {
	_sgd=$1
	_sgn=$2
	shift 2
	rm -f "$_sgd/$_sgn/signer.ready"
	# shellcheck disable=SC2046
	"$SIGNER" -f "$_sgd/$_sgn/coord.ini" $(_sg_x) -d 3 "$@" \
	    3>"$_sgd/$_sgn/signer.ready" >>"$_sgd/$_sgn/signer.out" \
	    2>>"$_sgd/$_sgn/signer.log" &
	echo $! >"$_sgd/$_sgn/signer.pid"
	track_pid $!
	if ! wait_for 60 test -s "$_sgd/$_sgn/signer.ready"; then
		tail -n 20 "$_sgd/$_sgn/signer.log" | sed 's/^/# /'
		echo "Bail out! the signer of $_sgn did not get ready"
		exit 1
	fi
}

sg_procsim() {
	_sgd=$1
	_sgn=$2
	shift 2
	# shellcheck disable=SC2046
	"$PROCSIM" -f "$_sgd/$_sgn/coord.ini" $(_sg_x) "$@" \
	    >>"$_sgd/$_sgn/procsim.out" 2>>"$_sgd/$_sgn/procsim.log" &
	echo $! >"$_sgd/$_sgn/procsim.pid"
	track_pid $!
}

sg_relay() {
	_sgd=$1
	shift
	_sgcf=
	for _sgn in "$@"; do _sgcf="$_sgcf $_sgd/$_sgn/coord.ini"; done
	rm -f "$_sgd/relay.ready"
	# shellcheck disable=SC2046,SC2086
	"$P2PRELAY" $(_sg_x) -d 3 $_sgcf 3>"$_sgd/relay.ready" \
	    >>"$_sgd/relay.out" 2>>"$_sgd/relay.log" &
	echo $! >"$_sgd/relay.pid"
	track_pid $!
	if ! wait_for 60 test -s "$_sgd/relay.ready"; then
		tail -n 20 "$_sgd/relay.log" | sed 's/^/# /'
		echo "Bail out! the relay did not get ready"
		exit 1
	fi
}

sg_chain() {
	_sgd=$1
	shift
	# shellcheck disable=SC2046
	"$CHAINSIM" -q -f "$_sgd/chain/coord.ini" $(_sg_x) "$@"
}

sg_request() {
	_sgd=$1
	_sgn=$2
	shift 2
	# shellcheck disable=SC2046
	"$PROCSIM" -q -f "$_sgd/$_sgn/coord.ini" $(_sg_x) -R "$@"
}

sg_status() {
	# shellcheck disable=SC2046
	"$SIGNER" -q -f "$1/$2/coord.ini" $(_sg_x) -L
}

sg_dump() {
	# shellcheck disable=SC2046
	"$PROCSIM" -q -f "$1/$2/coord.ini" $(_sg_x) -D "$3"
}

# sg_party DIR NAME SIGNID: the party line of a session in NAME's status
sg_party() {
	sg_status "$1" "$2" | awk -v id="$3" '$1 == "session" && $2 == id {
		for (i = 3; i <= NF; i++) if ($i ~ /^party=/) print substr($i, 7) }'
}

# sg_field DIR NAME SIGNID FIELD: one field (attempt, state, ...) of it
sg_field() {
	sg_status "$1" "$2" | awk -v id="$3" -v f="$4" '$1 == "session" &&
	    $2 == id { for (i = 3; i <= NF; i++) if (index($i, f "=") == 1)
		print substr($i, length(f) + 2) }'
}

hex32() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# sg_pyparty DIR SESSION BLOCK SIGNID ATTEMPT EVERYONE NAME[:WEIGHT]...:
# the party by the independent Python implementation (t/vectors/party.py),
# names in set order, comma separated
sg_pyparty() {
	python3 - "$@" <<'PY'
import sys
sys.path.insert(0, "t/vectors")
import party
d, ses, block, sid, att, every = sys.argv[1:7]
vals = []
for a in sys.argv[7:]:
    n, _, w = a.partition(":")
    try:
        key = open("%s/%s.chain" % (d, n)).read()
    except FileNotFoundError:
        key = open("%s/%s.pub" % (d, n)).read()
    key = bytes.fromhex(key.strip())
    vals.append((key, int(w) if w else 1, n))
vals.sort()
p, t = party.form([v[0] for v in vals], [v[1] for v in vals], 0,
                  bytes.fromhex(block), int(ses), bytes.fromhex(sid),
                  int(att), every == "1")
print(",".join(vals[i][2] for i in p))
PY
}

# sg_signid KIND NET N: the sign id the signer derives for a key generation
# (N = session) or a batch (N = batch id), computed independently
sg_signid() {
	python3 -c 'import hashlib, struct, sys
k, net, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h = hashlib.blake2b(digest_size=32)
h.update(b"serai-coordinator/sign-id/%s/v1\x00" % k.encode())
h.update(struct.pack("<II", net, n))
print(h.hexdigest())' "$@"
}

# sg_completed DIR NAME ID16: NAME's processor saw ID completed, verified
sg_completed() {
	grep -q "^completed $3 .*verified=yes" "$1/$2/procsim.out"
}

# sg_count_type DIR NAME TOPIC TYPE SIGNID: records of TYPE for the sign id
# (hex, as -J writes it: see jhex) on NAME's topic (read whole, from the
# start)
sg_count_type() {
	sg_dump "$1" "$2" "$3" | jq -r --arg t "$4" --arg id "$5" \
	    'select(.type == $t and .body.sign_id == $id) | .type' | wc -l |
	    tr -d ' '
}

# jhex HEX: hex as -J writes bytes ("0x", lowercase)
jhex() {
	printf '0x%s' "$(printf '%s' "${1#0x}" | tr A-F a-f)"
}

# sg_forge DIR VIA SEALER NET SESSION SIGNID ATTEMPT STAGE VALIDATOR TO...:
# a SignMessage claiming to be VALIDATOR's, sealed with SEALER's signer key
# (SEALER.signer), put on VIA's p2p-outbound for the relay to carry
sg_forge() {
	_sgd=$1
	_sgv=$2
	_sgs=$3
	shift 3
	# shellcheck disable=SC2046
	"$PROCSIM" -q -f "$_sgd/$_sgv/coord.ini" $(_sg_x) -F \
	    -k "$_sgd/$_sgs/keys/signer.key" -I "$_sgs.signer" "$@"
}

# sg_reasons DIR NAME: the reasons of NAME's dead letters, one a line
sg_reasons() {
	sg_dump "$1" "$2" coordinator_dlq | jq -r '.body.reason'
}

# sg_up DIR NAME...: the network of sg_net on the started broker: its
# topics, each validator's signer and processor simulator, the relay.
sg_up() {
	_sgd=$1
	shift
	sg_net "$_sgd" "$@"
	sg_topics "$_sgd" "$@"
	for _sgn in "$@"; do
		sg_signer "$_sgd" "$_sgn"
		sg_procsim "$_sgd" "$_sgn"
	done
	sg_relay "$_sgd" "$@"
}

# sg_id_with DIR MEMBER BLOCK NAME...: a random sign id whose first party
# (set 1/1, attempt 0, block hash BLOCK) has MEMBER in it; sets SG_ID and
# SG_PARTY (the party, comma-separated).
sg_id_with() {
	_sgd=$1
	_sgm=$2
	_sgb=$3
	shift 3
	while :; do
		SG_ID=$(hex32)
		SG_PARTY=$(sg_pyparty "$_sgd" 1 "$_sgb" "$SG_ID" 0 0 "$@")
		case ",$SG_PARTY," in *",$_sgm,"*) return 0 ;; esac
	done
}
