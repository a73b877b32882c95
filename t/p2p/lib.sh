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
