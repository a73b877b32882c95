#!/bin/sh
# mknet.sh DIR [NAME...]: a network of validators on one machine, for the
# demo, the end-to-end tests and the benchmarks.  Writes:
#
#   DIR/NAME/coord.ini   each validator's configuration: its own topics
#                        (NAME.serai-observation, NAME.signing, ...; one
#                        broker serves all, as Kafka deployments share a
#                        cluster by topic prefix), keys (every service's
#                        Ed25519 key, the libp2p identity, the archive key),
#                        a file-store archive, metrics, [trust] for every
#                        validator's services and a [validator NAME] section
#                        per validator: libp2p public_key, chain_key (its
#                        key in the chain's validator sets), endpoint, weight
#   DIR/validators       the chain keys and weights, for devnode -V: the dev
#                        node's sets are made of these validators
#   DIR/net.run          the runfile (runfile(5)): the dev node (paused),
#                        then per validator a one-shot that creates its
#                        topics, its archiver, observer, connector, signer
#                        and processor simulator (NAME.PROG), under one
#                        supervisor; once all are up, a one-shot (chain)
#                        starts the dev node's blocks
#   DIR/supervisor.ini   the supervisor's own configuration
#
# NAMEs default to alice bob carol dave.  Environment:
#   NET_BOOTSTRAP   bootstrap.servers (127.0.0.1:9092, the dev broker's)
#   NET_DEVBROKER   yes: the runfile starts the dev broker on NET_BOOTSTRAP
#   NET_RPC         the dev node's host:port (127.0.0.1:9944)
#   NET_INTERVAL    the dev node's block interval (2s)
#   NET_P2P_PORTS   the validators' libp2p ports, in NAME order (default
#                   30333, 30334, ...)
#   NET_WEIGHTS     their weights, in NAME order (default 1 each)
#   NET_SIGNING     extra [signing] lines
#   NET_KAFKA       extra [kafka] lines (librdkafka properties)
#   NET_PROCSIM     extra procsim options
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
D=${1:?usage: mknet.sh DIR [NAME...]}
shift
[ $# -gt 0 ] || set -- alice bob carol dave
KEYGEN=$TOP/keygen/coord-keygen
BOOT=${NET_BOOTSTRAP:-127.0.0.1:9092}
RPC=${NET_RPC:-127.0.0.1:9944}

mkdir -p "$D"
D=$(cd "$D" && pwd)
: >"$D/validators"
: >"$D/trust"
: >"$D/sections"
ports=${NET_P2P_PORTS:-}
weights=${NET_WEIGHTS:-}
i=0
for n in "$@"; do
	i=$((i + 1))
	port=$(echo "$ports" | awk -v i=$i '{ print $i }')
	[ -n "$port" ] || port=$((30332 + i))
	w=$(echo "$weights" | awk -v i=$i '{ print $i }')
	[ -n "$w" ] || w=1
	v=$D/$n
	mkdir -p "$v/keys" "$v/run" "$v/metrics" "$v/archive" "$v/backups"
	chmod 700 "$v/keys"
	cat >"$v/coord.ini" <<EOC
# Validator $n of the network in $D (written by t/net/mknet.sh).
[general]
name = $n
key_dir = $v/keys
run_dir = $v/run
metrics_dir = $v/metrics
backup_dir = $v/backups
heartbeat_interval = 2s

[kafka]
bootstrap.servers = $BOOT
${NET_KAFKA:-}

[topics]
serai_observation = $n.serai-observation
chain_observation = $n.chain-observation
chain_health = $n.chain-health
signing = $n.signing
p2p_outbound = $n.p2p-outbound
p2p_inbound = $n.p2p-inbound
coordinator_state = $n.coordinator-state
coordinator_dlq = $n.coordinator-dlq

[observation]
rpc_endpoint = http://$RPC
polling_interval = 500ms

[connection]
listen = /ip4/127.0.0.1/tcp/$port

[signing]
state_topic = $n.signer-state
${NET_SIGNING:-}

[archive]
path = $v/archive
key_file = $v/keys/archive.key

EOC
	"$KEYGEN" -q -f "$v/coord.ini" observer connector signer archiver \
	    procsim >>"$D/trust"
	p2p=$("$KEYGEN" -q -f "$v/coord.ini" p2p | sed 's/.* = //')
	rm -f "$v/keys/archive.key"
	"$TOP/archiver/archiver" -q -f "$v/coord.ini" -x keygen \
	    "$v/keys/archive.key" >/dev/null
	# The validator's key in the chain's sets: in Serai an account key
	# of its own, not the libp2p identity.
	ck=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$ck $w $n" >>"$D/validators"
	cat >>"$D/sections" <<EOC

[validator $n]
public_key = $p2p
chain_key = $ck
endpoint = /ip4/127.0.0.1/tcp/$port
weight = $w
EOC
done
for n in "$@"; do
	{
		echo "[trust]"
		cat "$D/trust"
		cat "$D/sections"
	} >>"$D/$n/coord.ini"
done

x=$TOP
cat >"$D/net.run" <<EOR
# The network of $D (written by t/net/mknet.sh): see runfile(5).
[supervisor]
stop_timeout = 10s
backoff_max = 5s
crash_limit = 10
crash_window = 1m
EOR
after=devnode
if [ "${NET_DEVBROKER:-}" = yes ]; then
	cat >>"$D/net.run" <<EOR

[devbroker]
command = $x/t/devbroker/devbroker -p $BOOT -d 3
ready = fd 3
log = prefix
EOR
	after="devbroker, devnode"
fi
cat >>"$D/net.run" <<EOR

[devnode]
command = $x/t/devnode/devnode -a $RPC -i ${NET_INTERVAL:-2s} -V $D/validators -P -d 3
ready = fd 3
log = prefix
EOR
for n in "$@"; do
	c=$D/$n/coord.ini
	cat >>"$D/net.run" <<EOR

[$n.topics]
command = $x/t/procsim/procsim -q -f $c -C -d 3
ready = fd 3
restart = on-failure
log = prefix
after = $after
EOR
	for p in archiver observer connector signer; do
		cat >>"$D/net.run" <<EOR

[$n.$p]
command = $x/$p/$p -f $c -d 3
ready = fd 3
log = prefix
after = $n.topics, $after
EOR
	done
	cat >>"$D/net.run" <<EOR

[$n.procsim]
command = $x/t/procsim/procsim -f $c -N 0 -K ${NET_PROCSIM:-}
log = prefix
after = $n.signer
EOR
done
# (The topics one-shot never says it is ready: its dependents start when
# it has finished, exit 0, with the topics made.  Each service names the
# dev broker and the dev node too, so that on a stop they outlive it.)
# The chain starts once every validator's services are up (the dev node
# starts paused), so the first set's key generation has all four.
all=
for n in "$@"; do
	all="$all${all:+, }$n.archiver, $n.observer, $n.connector, $n.signer"
	all="$all, $n.procsim"
done
cat >>"$D/net.run" <<EOR

[chain]
command = curl -sSf -o /dev/null -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"dev_pause","params":[false]}' http://$RPC/
restart = on-failure
log = prefix
after = $all
EOR
rm -f "$D/trust" "$D/sections"
cat >"$D/supervisor.ini" <<EOC
# The network's supervisor (written by t/net/mknet.sh).
[general]
name = net
run_dir = $D/run
metrics_dir = $D/metrics
EOC
mkdir -p "$D/run" "$D/metrics"
