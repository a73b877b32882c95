# lib-deploy.sh: one validator for the tests of deploy/ (t/t8xxx-deploy-*),
# on the dev broker or a real one and the dev node.  Source after t/lib.sh,
# t/lib-kafka.sh, t/lib-observer.sh and t/lib-net.sh (kafka_start exports
# BOOTSTRAP).
#
#   DEP_PROGS              the four services: observer connector signer
#                          archiver
#   dep_require            skip (fail in CI) unless everything is built
#   dep_validator DIR      validator alice in DIR (t/net/mknet.sh with one
#                          name): DIR/alice/coord.ini, its keys and topics,
#                          and the dev node serving DIR/rpc, running
#   dep_badkey DIR         DIR/bad/coord.ini: alice's configuration with a
#                          key_dir whose observer key is not a key (the
#                          observer exits 100 on it)
#   dep_path               a PATH with the built binaries first
#   dep_install KIND DIR CONF
#                          deploy/KIND's four service directories copied
#                          into DIR as they ship, but env/COORD_CONFIG (CONF)
#                          and env/PATH (dep_path)
#   dep_show FILE...       the files' last lines as TAP comments
DEP_PROGS="observer connector signer archiver"

dep_require() {
	net_require
	for _b in observer connector signer archiver; do
		[ -x "$TOP/$_b/$_b" ] || skip_all "$_b not built: run make"
	done
}

dep_validator() {
	net_make "$1" alice
	"$DEVNODE" -a "$(cat "$1/rpc")" -i 500ms -V "$1/validators" -d 3 \
	    3>"$1/devnode.ready" >"$1/devnode.out" 2>"$1/devnode.err" \
	    </dev/null &
	track_pid $!
	if ! wait_for 20 test -s "$1/devnode.ready"; then
		sed 's/^/# /' "$1/devnode.err"
		echo "Bail out! the dev node did not start"
		exit 1
	fi
	if ! "$PROCSIM" -q -f "$1/alice/coord.ini" -C \
	    >"$1/topics.log" 2>&1; then
		sed 's/^/# /' "$1/topics.log"
		echo "Bail out! the topics could not be made"
		exit 1
	fi
}

dep_badkey() {
	mkdir -p "$1/bad/keys"
	chmod 700 "$1/bad/keys"
	echo "not a key" >"$1/bad/keys/observer.key"
	chmod 600 "$1/bad/keys/observer.key"
	sed "s|^key_dir = .*|key_dir = $1/bad/keys|" "$1/alice/coord.ini" \
	    >"$1/bad/coord.ini"
}

dep_path() {
	echo "$TOP/observer:$TOP/connector:$TOP/signer:$TOP/archiver:$PATH"
}

dep_install() {
	mkdir -p "$2"
	for _p in $DEP_PROGS; do
		cp -R "$TOP/deploy/$1/$_p" "$2/$_p"
		echo "$3" >"$2/$_p/env/COORD_CONFIG"
		dep_path >"$2/$_p/env/PATH"
	done
}

dep_show() {
	for _f in "$@"; do
		echo "# --- $_f"
		tail -n 15 "$_f" 2>&1 | sed 's/^/#   /'
	done
}
