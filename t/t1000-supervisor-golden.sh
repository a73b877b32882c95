#!/bin/sh
# supervisor: usage, -n output and runfile errors (file:line) pinned by
# golden files in t/golden/supervisor/; exit codes 0 and 100.
. t/lib.sh
. t/golden/supervisor/lib.sh
G=t/golden/supervisor
# three checks per bad-*.run golden file, 15 others
plan $(($(ls "$G"/bad-*.run | wc -l) * 3 + 17))

"$SV" -h >"$T/out" 2>"$T/err"
is "$?" 0 "-h exits 0"
cmp -s "$T/out" "$G/usage.out"
ok $? "-h prints the usage (golden usage.out)"
is "$(cat "$T/err")" "" "-h writes nothing on stderr"

"$SV" >"$T/out" 2>"$T/err"
is "$?" 100 "no runfile: exit 100"
cmp -s "$T/err" "$G/noargs.err"
ok $? "no runfile: message and usage on stderr (golden noargs.err)"

"$SV" -c reboot foo >"$T/out" 2>"$T/err"
is "$?" 100 "-c with an unknown command: exit 100"

# -n checks that each command is there to run: the built binaries are.
BINPATH=$TOP/observer:$TOP/connector:$TOP/signer:$TOP/archiver:$PATH
PATH=$BINPATH "$SV" -n "$G/good.run" >"$T/out" 2>"$T/err"
is "$?" 0 "-n good.run exits 0"
cmp -s "$T/out" "$G/good.out"
ok $? "-n prints every service resolved, in start order (golden good.out)"
cmp -s "$T/err" "$G/good.err"
ok $? "-n reports the runfile ok on stderr (golden good.err)"

PATH=$BINPATH "$SV" -n conf/demo.run >"$T/out" 2>/dev/null
is "$?" 0 "-n conf/demo.run (the example runfile) exits 0"
is "$(cut -d: -f1 "$T/out" | tr '\n' ' ')" "archiver observer connector signer " \
	"conf/demo.run: start order"
printf '[a]\ncommand = /bin/true\n[b]\ncommand = no-such-program-here -x\n' \
    >"$T/missing.run"
"$SV" -n "$T/missing.run" >"$T/out" 2>"$T/err"
is "$?" 100 "-n: a command that is not there: exit 100"
like "$(cat "$T/err")" "missing.run:4: \\[b\\] command: no-such-program-here: not found in PATH" \
    "-n: names the file, the line, the service and the program"

"$SV" -n "$G/nosuch.run" >"$T/out" 2>"$T/err"
is "$?" 100 "-n on a missing file: exit 100"
like "$(cat "$T/err")" "nosuch.run: No such file" "missing file named"

# lines of any length (inih, used for the shared config, stops at 198)
long=$(printf '%0600d' 0)
printf '[long]\ncommand = echo %s\n' "$long" >"$T/long.run"
"$SV" -n "$T/long.run" >"$T/out" 2>/dev/null
is "$?" 0 "-n: a 615-character line is fine"
is "$(cut -d"'" -f4 "$T/out")" "$long" "and its 600-character word is whole"

for f in "$G"/bad-*.run; do
	b=${f%.run}
	"$SV" -n "$f" >"$T/out" 2>"$T/err"
	is "$?" 100 "$(basename "$f"): exit 100"
	cmp -s "$T/err" "$b.err"
	ok $? "$(basename "$f"): error names file:line (golden $(basename "$b").err)" ||
		diag "$(cat "$T/err")"
	[ ! -s "$T/out" ]
	ok $? "$(basename "$f"): nothing on stdout"
done

done_testing
