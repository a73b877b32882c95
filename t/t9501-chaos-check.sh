#!/bin/sh
# t9501: the chaos run's checks (t/chaos/check.py) on a small made-up run:
# a clean one passes with every count 0 and its recovery timed; each fault
# chaos.sh must catch (a block lost, an event twice, blocks out of order, a
# session not completed, a request never started, an archive short of a
# record, a second PartyFormed on a topic, a processor told of an attempt
# by two records, a service failed, a warning no kill explains, a death no
# kill explains, a request a signer refused for a set it did not know)
# makes its count 1 and the exit status 1.
. t/lib.sh
need_cmd python3 "check.py is Python"
plan 16

S=$(printf '%064d' 0 | tr 0 a)
SB=$(python3 -c 'import base64, sys
print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$S")
mkrun() {
	rm -rf "$1"
	mkdir -p "$1/alice"
	echo alice bob >"$1/names"
	printf '[validator alice]\nendpoint = /ip4/127.0.0.1/tcp/1001\n[validator bob]\nendpoint = /ip4/127.0.0.1/tcp/1002\n' \
	    >"$1/alice/coord.ini"
	printf '1 0 InInstructions.Batch {}\n2 0 Coins.BurnWithInstruction {}\n2 1 InInstructions.Batch {"id":1}\n' \
	    >"$1/expected"
	for n in alice bob; do
		printf '0\n1\n2\n3\n' >"$1/$n.blocks"
		cp "$1/expected" "$1/$n.events"
		echo "missing 0 extra 0 late 3" >"$1/$n.acheck"
		: >"$1/$n.adup"
		echo "{\"type\":\"PARTY_FORMED\",\"v\":\"$n\",\"body\":{\"sign_id\":\"$SB\",\"attempt\":0}}"
		echo "{\"type\":\"SIGN_COMPLETED\",\"v\":\"$n\",\"body\":{\"sign_id\":\"$SB\"}}"
	done >"$1/signing.json"
	echo "$S" >"$1/requests"
	cat >"$1/supervisor.tlog" <<EOF
900 alice.connector: connector: warning: to 127.0.0.1:1002: connect: Connection refused
1000 supervisor: warning: bob.connector: died (signal:KILL) after 5000 ms; restart in 0 ms: pid 12
1100 alice.connector: connector: warning: to 127.0.0.1:1002: connect: Connection refused
1400 bob.connector: connector: info: listening
1500 supervisor: info: bob.connector: ready
2000 supervisor: warning: alice.signer: died (signal:KILL) after 9000 ms; restart in 0 ms: pid 13
2100 alice.signer: signer: warning: kafka: GETPID: [thrd:main]: Failed to acquire transactional PID from broker TxnCoordinator/1: Broker: Producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing: retrying
4500 supervisor: info: alice.signer: ready
EOF
	cut -d' ' -f2- "$1/supervisor.tlog" >"$1/supervisor.log"
	echo "alice.procsim: formed aaaaaaaaaaaaaaaa attempt=0 party=alice,bob at=0:5" \
	    >>"$1/supervisor.log"
	echo "alice.procsim: formed aaaaaaaaaaaaaaaa attempt=0 party=alice,bob at=0:5" \
	    >>"$1/supervisor.log"
	printf '1000 bob.connector 12 up\n2000 alice.signer 13 up\n' >"$1/kills"
	printf 'service state pid uptime restarts last\nbob.connector up 20 9s 1 signal:KILL\n' \
	    >"$1/status"
	echo 100000 >"$1/stop_ms"
}
check() { python3 t/chaos/check.py "$1" 3 alice.signer bob.connector; }
clean="chaos: kills 2 lost 0 duplicated 0 reordered 0 archive 0 double-signed 0 failed 0 unexplained 0 refused 0"

R=$T/run
mkrun "$R"
check "$R" >"$T/out"
is "$?" 0 "a clean run: exit 0"
is "$(grep '^chaos: kills' "$T/out")" "$clean" "a clean run: every count 0"
like "$(grep 'again by the same record' "$T/out")" "told of 1 attempts, 1 again" \
    "... a record read again after a restart is a redelivery, not a count"
is "$(grep '^chaos: recovery' "$T/out" | head -n 2 | tr '\n' '|')" \
    "chaos: recovery connector: 1 kills, p50 500 ms, p99 500 ms, max 500 ms|chaos: recovery signer: 1 kills, p50 2500 ms, p99 2500 ms, max 2500 ms|" \
    "a clean run: each binary's recovery, kill to ready"

# fault SED-OR-CMD WANT NAME: a fresh run, the fault, the summary and exit
fault() {
	mkrun "$R"
	sh -c "$1" _ "$R"
	check "$R" >"$T/out"
	rc=$?
	is "$(grep '^chaos: kills' "$T/out") rc=$rc" "$2 rc=1" "$3"
}
want() { echo "$clean" | sed "s/ $1 0/ $1 1/"; }
fault 'sed -i /^2$/d "$1/bob.blocks"' "$(want lost)" "a block lost"
fault 'sed -n 2p "$1/expected" >>"$1/alice.events"' "$(want duplicated)" \
    "an event twice"
fault 'printf "0\n2\n1\n3\n" >"$1/bob.blocks"' "$(want reordered)" \
    "blocks out of order"
fault 'sed -i "/SIGN_COMPLETED.*bob/d" "$1/signing.json"' "$(want lost)" \
    "a session not completed on one validator"
fault 'echo "$(printf %064d 2)" >>"$1/requests"' "$(want lost)" \
    "a processor's request never started"
fault 'echo "missing 1 extra 0 late 0" >"$1/bob.acheck"' "$(want archive)" \
    "an archive short of a record"
fault 'grep PARTY_FORMED "$1/signing.json" | head -n 1 >>"$1/signing.json"' \
    "$(want double-signed)" "an attempt formed twice on a signing topic"
fault 'echo "alice.procsim: formed aaaaaaaaaaaaaaaa attempt=0 party=alice,bob at=0:9" >>"$1/supervisor.log"' \
    "$(want double-signed)" "a processor told of an attempt by two records"
fault 'echo "bob.signer failed - - 11 signal:KILL" >>"$1/status"' \
    "$(want failed)" "a service failed"
fault 'echo "3000 alice.archiver: archiver: error: store: something else" >>"$1/supervisor.tlog"' \
    "$(want unexplained)" "a warning no kill explains"
fault 'echo "50000 supervisor: warning: alice.observer: died (signal:KILL) after 5 ms; restart in 0 ms: pid 14" >>"$1/supervisor.tlog"' \
    "$(want unexplained)" "a death no kill explains"
fault 'sed -i "/SIGN_COMPLETED.*bob/d" "$1/signing.json"
    echo "3000 bob.signer: signer: warning: rejected record bob.chain-observation[0]@1 (9 bytes): session aaaaaaaaaaaaaaaa (processor): validator set 1/1 unknown" >>"$1/supervisor.tlog"
    cut -d" " -f2- "$1/supervisor.tlog" >"$1/supervisor.log"' \
    "$(want refused)" "a request a signer refused (set unknown): refused, not lost, its warning not unexplained"
done_testing
