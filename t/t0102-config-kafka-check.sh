#!/bin/sh
# t0102: -n refuses the Kafka properties the start would refuse.  Each
# property alone is checked as it is set; a combination librdkafka cannot
# make a client of (acks=0 with the suite's idempotent producers, an
# idempotence switched off under transactions) only shows when a client is
# made.  Before, -n said ok and the start exited 111, restarted forever.
# Now both exit 100 with the same message, for each service, with no
# broker needed (bootstrap.servers points at a closed port).  And an
# operand where a program takes none is refused, with -n too.
. t/lib.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
net_require
PROGS="observer connector signer archiver"
plan 33

BOOTSTRAP=127.0.0.1:1
NET_INTERVAL=1s net_make "$T/net" alice
CONF=$T/net/alice/coord.ini

for p in $PROGS; do
	"$TOP/$p/$p" -f "$CONF" -n 2>"$T/$p.ok"
	is $? 0 "$p -n: the validator's configuration is accepted"
done
for x in acks=0 enable.idempotence=false; do
	for p in $PROGS; do
		"$TOP/$p/$p" -f "$CONF" -n -X "$x" 2>"$T/$p.n"
		is $? 100 "$p -n -X $x: refused, exit 100"
		# A start that takes the properties runs on, waiting for a
		# broker: timeout ends it (124), which is a failure here.
		timeout 10 "$TOP/$p/$p" -f "$CONF" -X "$x" 2>"$T/$p.start" \
		    </dev/null
		is $? 100 "$p -X $x: the start refuses it too, exit 100"
		like "$(cat "$T/$p.n")" "do not make a Kafka" \
		    "$p -n -X $x: says why"
	done
done

# An operand where a program takes none is a usage error, -n or not.
for p in observer connector signer; do
	"$TOP/$p/$p" -f "$CONF" -n extra 2>"$T/$p.op"
	is $? 100 "$p -n extra: an operand it does not take is refused (100)"
done

# The same cause, the same code: a command a tool does not know is a
# usage error (100) before any broker is asked; standard output that
# cannot be written is a temporary failure (111), as in every binary.
timeout 10 "$TOP/observer/obstool" -f "$CONF" bogus 2>"$T/obstool.err"
is $? 100 "obstool bogus: usage, exit 100, the broker not asked"
mkdir -p "$T/run"
echo "observer alice.observer pid=1" >"$T/run/observer.status"
printf '[general]\nrun_dir = %s\n' "$T/run" >"$T/status.ini"
"$TOP/observer/observer" -f "$T/status.ini" -s >/dev/full 2>"$T/full.err"
is $? 111 "observer -s with standard output full: exit 111"
