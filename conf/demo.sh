#!/bin/sh
# demo.sh: the suite on its embedded defaults, under the supervisor: the dev
# broker (librdkafka's mock cluster on 127.0.0.1:9092, the default
# bootstrap.servers), the dev node (a Substrate JSON-RPC node on
# 127.0.0.1:9944, the default rpc_endpoint), and every binary of the suite
# that is built, with a file-store archive.  The serai-observation topic is
# shown on stdout as JSON Lines.  Stop it with ^C (SIGINT): everything stops
# and the supervisor exits 0.
#
# State (keys, config, runfile, archive) lives in DEMO_DIR (t/tmp/demo).
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
D=${DEMO_DIR:-$TOP/t/tmp/demo}
rm -rf "$D"
mkdir -p "$D/keys" "$D/run" "$D/metrics" "$D/archive" "$D/backups"
chmod 700 "$D/keys"

have() { [ -x "$TOP/$1" ]; }

# The services that exist, in start order.
progs=
for p in observer connector signer archiver; do
	have "$p/$p" && progs="$progs $p"
done
have t/procsim/procsim && progs="$progs procsim"
progs="$progs busprobe"

cat >"$D/coord.ini" <<EOC
# The demo validator: everything else is the built-in default.
[general]
name = demo
key_dir = $D/keys
run_dir = $D/run
metrics_dir = $D/metrics
backup_dir = $D/backups
heartbeat_interval = 5s

[archive]
path = $D/archive

[trust]
EOC
# shellcheck disable=SC2086
"$TOP/keygen/coord-keygen" -q -f "$D/coord.ini" $progs >>"$D/coord.ini"
# The connector's libp2p identity, and this validator as the only member
# of its set (the signer's static fallback, the connector's peer list).
p2p=$("$TOP/keygen/coord-keygen" -q -f "$D/coord.ini" p2p | sed 's/.* = //')
cat >>"$D/coord.ini" <<EOC

[validator demo]
public_key = $p2p
endpoint = /ip4/127.0.0.1/tcp/30333
weight = 1
EOC
if have archiver/archiver; then
	"$TOP/archiver/archiver" -q -f "$D/coord.ini" -x keygen \
	    "$D/keys/archive.key" >/dev/null
fi

cat >"$D/demo.run" <<EOR
# The demo's runfile: see runfile(5).
[supervisor]
crash_limit = 5
crash_window = 1m

[devbroker]
command = $TOP/t/devbroker/devbroker -p 127.0.0.1:9092 -d 3
ready = fd 3
log = prefix
EOR
if have t/devnode/devnode; then
	cat >>"$D/demo.run" <<EOR

[devnode]
command = $TOP/t/devnode/devnode -a 127.0.0.1:9944 -i 2s -d 3
ready = fd 3
log = prefix
EOR
fi
for p in $progs; do
	case $p in
	busprobe)
		cmd="$TOP/t/busprobe/busprobe -f $D/coord.ini -t serai_observation -g demo-tail -w 86400 recv"
		;;
	procsim)
		cmd="$TOP/t/procsim/procsim -f $D/coord.ini"
		;;
	*)
		cmd="$TOP/$p/$p -f $D/coord.ini"
		;;
	esac
	# The tail writes its JSON Lines straight to our stdout.
	log=prefix
	[ "$p" = busprobe ] && log=inherit
	cat >>"$D/demo.run" <<EOR

[$p]
command = $cmd
after = devbroker$(have t/devnode/devnode && echo ", devnode")
log = $log
EOR
done

echo "demo: services:$progs (state in $D)" >&2
echo "demo: ^C to stop" >&2
# In the terminal's foreground (fgrun), so that ^C reaches the supervisor
# and not make: make would die of the SIGINT and report an interrupt.
exec "$TOP/t/fgrun/fgrun" "$TOP/supervisor/supervisor" -f "$D/coord.ini" \
    -r "$D/run" "$D/demo.run"
