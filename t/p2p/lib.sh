# t/p2p/lib.sh: helpers for the connector's libp2p tests (t/t3*.sh), after
# t/lib.sh.  The js-libp2p peer lives in t/p2p; its node_modules is made by
# npm ci from the committed package-lock.json the first time.
P2PTOOL=$TOP/connector/p2ptool
P2PDIR=$TOP/t/p2p

[ -x "$P2PTOOL" ] || skip_all "connector/p2ptool not built"

p2p_need_js() {
	need_cmd node "Node.js runs the js-libp2p peer"
	need_cmd npm "npm installs the js-libp2p peer"
	if [ ! -d "$P2PDIR/node_modules/libp2p" ]; then
		# one installer at a time (prove -j)
		if command -v flock >/dev/null 2>&1; then
			flock "$P2PDIR/.npm-lock" sh -c \
			    "cd '$P2PDIR' && [ -d node_modules/libp2p ] || \
			    npm ci --no-audit --no-fund" >"$T/npm.log" 2>&1
		else
			(cd "$P2PDIR" && npm ci --no-audit --no-fund) \
			    >"$T/npm.log" 2>&1
		fi
		[ -d "$P2PDIR/node_modules/libp2p" ] || {
			sed 's/^/# /' "$T/npm.log"
			skip_all "npm ci failed in t/p2p"
		}
	fi
}

# p2p_need_go: the go-libp2p peer (t/p2p/go: go-libp2p with TCP, Noise
# and yamux only) in $GOPEER, built once into the cache (GOPEER_CACHE,
# default ~/.cache/serai-coordinator/gopeer) under a name that is the
# checksum of its sources; its modules come from the Go module proxy the
# first time (make deps fetches them ahead).
p2p_need_go() {
	need_cmd go "Go builds the go-libp2p peer"
	_gsum=$(cat "$P2PDIR/go/go.mod" "$P2PDIR/go/go.sum" \
	    "$P2PDIR/go/main.go" | cksum | awk '{print $1}')
	_gdir=${GOPEER_CACHE:-${HOME:-/tmp}/.cache/serai-coordinator/gopeer}
	GOPEER=$_gdir/gopeer-$_gsum
	[ -x "$GOPEER" ] && return 0
	mkdir -p "$_gdir" || skip_all "cannot create $_gdir"
	# one builder at a time (prove -j); -mod=readonly: go.sum as committed
	(
		cd "$P2PDIR/go" || exit 1
		if command -v flock >/dev/null 2>&1; then
			exec 9>"$_gdir/.lock"
			flock 9
		fi
		[ -x "$GOPEER" ] && exit 0
		GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
		    go build -trimpath \
		    -o "$GOPEER.tmp.$$" . && mv "$GOPEER.tmp.$$" "$GOPEER"
	) >"$T/go.log" 2>&1
	[ -x "$GOPEER" ] || {
		sed 's/^/# /' "$T/go.log"
		skip_all "go build failed in t/p2p/go"
	}
}

# go_id SEED: the PeerId go-libp2p gives that seed.
go_id() {
	"$GOPEER" --seed "$1" --print-id
}
bg_go() {
	_o=$1 _e=$2
	shift 2
	"$GOPEER" "$@" >"$_o" 2>"$_e" &
	track_pid $!
	BG_PID=$!
}

# p2p_key NAME: a new identity in $T/NAME.key; prints its PeerId.
p2p_key() {
	"$P2PTOOL" -g "$T/$1.key"
}

# js_seed: 32 random bytes in hex; js_id SEED: its PeerId (per js-libp2p).
js_seed() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}
js_id() {
	node "$P2PDIR/peer.mjs" --seed "$1" --print-id
}

# p2p_addr FILE: the address printed on its "listening" line.
p2p_addr() {
	awk '/^listening /{print $2; exit}' "$1"
}

# bg_tool OUT ERR ARGS...: p2ptool in the background, tracked; wait until
# it listens when -l is given.
bg_tool() {
	_o=$1 _e=$2
	shift 2
	"$P2PTOOL" "$@" >"$_o" 2>"$_e" &
	track_pid $!
	BG_PID=$!
}
bg_js() {
	_o=$1 _e=$2
	shift 2
	node "$P2PDIR/peer.mjs" "$@" >"$_o" 2>"$_e" &
	track_pid $!
	BG_PID=$!
}
listening() {
	grep -q '^listening ' "$1"
}

# count FILE REGEX
count() {
	grep -c -E "$2" "$1" 2>/dev/null || true
}

# show FILE...: the files as TAP comments (on failure)
show() {
	for _f in "$@"; do
		echo "# --- $_f"
		sed 's/^/#   /' "$_f" | head -40
	done
}

# free_port: a TCP port nobody listens on right now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# conn_setup NAME PORT: keys (connector, signer, p2p) and a base config in
# $T/NAME; prints nothing.  Sets NAME's p2p public key in $T/NAME/p2p.pub.
conn_setup() {
	mkdir -p "$T/$1/keys" "$T/$1/run"
	printf '[general]\nname = %s\nkey_dir = %s\nrun_dir = %s\n' \
	    "$1" "$T/$1/keys" "$T/$1/run" >"$T/$1/base.ini"
	"$TOP/keygen/coord-keygen" -q -f "$T/$1/base.ini" connector signer p2p \
	    >"$T/$1/keys.txt"
	awk '$1 == "'"$1"'.p2p" {print $3}' "$T/$1/keys.txt" >"$T/$1/p2p.pub"
	echo "$2" >"$T/$1/port"
}

# conn_config NAME PEER...: $T/NAME/c.ini, listening on its port, with a
# [validator] for itself and each PEER, trusting its own services and the
# peers' (the connector verifies what a peer relays before producing it).
conn_config() {
	_n=$1
	shift
	{
		cat "$T/$_n/base.ini"
		printf '[connection]\nlisten = /ip4/127.0.0.1/tcp/%s\n' \
		    "$(cat "$T/$_n/port")"
		printf 'dial_backoff = 100ms\ndial_backoff_max = 1s\n'
		printf 'connect_timeout = 2s\n'
		for _v in "$_n" "$@"; do
			printf '[validator %s]\npublic_key = %s\n' "$_v" \
			    "$(cat "$T/$_v/p2p.pub")"
			printf 'endpoint = /ip4/127.0.0.1/tcp/%s\n' \
			    "$(cat "$T/$_v/port")"
		done
		printf '[trust]\n'
		for _v in "$_n" "$@"; do
			grep -v '\.p2p = ' "$T/$_v/keys.txt"
		done
	} >"$T/$_n/c.ini"
}
