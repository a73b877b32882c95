#!/bin/sh
# t0100: what every binary shares at start: -n checks the configuration
# file (errors name file:line and the offending line, exit 100), the
# [kafka] and -X properties, the service key (mode 0600) and [trust];
# usage and version.
. t/lib.sh
. t/lib-coord.sh
plan 36

C=$(coord_conf "$T/v" alice busprobe)
n() { "$BUSPROBE" -n "$@"; }

out=$(n -f "$C" 2>&1)
is "$?" 0 "a good file: -n exits 0"
is "$out" "busprobe: info: configuration ok: $C" "... and says so"
out=$(n 2>&1)
is "$?" 100 "no -f: built-in defaults, but no key in ./keys: exit 100"
like "$out" "busprobe: fatal: service key: keys/busprobe.key: No such file.*coord-keygen" \
    "... naming the key file and how to make one"

# Each bad file: exit 100 and "file:line: problem: \"line\"".
bad() {
	cp "$C" "$T/bad.ini"
	printf '%s\n' "$1" >>"$T/bad.ini"
	line=$(wc -l <"$T/bad.ini" | tr -d ' ')
	out=$(n -f "$T/bad.ini" 2>&1)
	rc=$?
	is "$rc" 100 "$3: exit 100"
	like "$out" "^busprobe: fatal: $T/bad.ini:$((line - $2)): $3" \
	    "$3: names file:line"
}
bad "[observation]
rpc_endpiont = http://x" 0 'unknown key "rpc_endpiont" in \[observation\]: "rpc_endpiont = http://x"'
bad "[nosuch]
a = b" 1 "unknown section \[nosuch\]"
bad "[general]
heartbeat_interval = soon" 0 'heartbeat_interval: not a duration'
bad "[validator]
weight = 1" 1 'section \[validator\] needs a name'
bad "[kafka]
no.such.property = 1" 0 '\[kafka\] no.such.property: No such configuration property'
bad "[kafka]
acks = maybe" 0 '\[kafka\] acks: Invalid value for configuration property'
bad "[trust]
bob.signer = zz" 0 'bob.signer: not 32 bytes of hex \(64 digits\): "bob.signer = zz"'

# -X is checked the same way, named by the option.
out=$(n -f "$C" -X no.such=1 2>&1)
is "$?" 100 "-X unknown property: exit 100"
like "$out" "fatal: -X no.such=1: No such configuration property" \
    "-X error names the option"
out=$(n -f "$C" -X novalue 2>&1)
is "$?" 100 "-X without =: exit 100"

# The key: mode 0600 or refused; [trust] must agree with it.
chmod 644 "$T/v/keys/busprobe.key"
out=$(n -f "$C" 2>&1)
is "$?" 100 "a key readable by others: exit 100"
like "$out" "mode 0644; it must be 0600" "... says why"
chmod 600 "$T/v/keys/busprobe.key"
other=$("$KEYGEN" -q -f "$C" "$T/other.key" | sed 's/.* = //')
sed "s/^alice.busprobe = .*/alice.busprobe = $other/" "$C" >"$T/t.ini"
out=$(n -f "$T/t.ini" 2>&1)
is "$?" 100 "[trust] disagreeing with our own key: exit 100"
like "$out" "does not match the public key" "... says so"

# Usage and version, the same options everywhere.
out=$("$BUSPROBE" -h)
is "$?" 0 "-h: exit 0"
like "$out" "^usage: busprobe \[-nqvJ[A-Z]*\] \[-f file\] \[-d fd\] \[-X prop=val\]" \
    "-h prints the common usage on stdout"
out=$("$BUSPROBE" -Z 2>&1)
is "$?" 100 "an unknown option: exit 100"
like "$out" "busprobe: warning: unknown option -Z" "... named"
is "$("$KEYGEN" -V)" "coord-keygen 0.1.0" "-V prints the version"
out=$("$BUSPROBE" -f "$T/nonexistent.ini" -n 2>&1)
is "$?" 100 "missing config file: exit 100"
like "$out" "nonexistent.ini: No such file or directory" "... named"

# coord-keygen never overwrites and prints [trust] lines.
out=$("$KEYGEN" -f "$C" busprobe 2>&1)
is "$?" 100 "coord-keygen refuses to overwrite a key"
like "$out" "File exists" "... and says why"
is "$("$KEYGEN" -q -f "$C" -p busprobe)" "$(grep '^alice.busprobe' "$C")" \
    "coord-keygen -p prints the same [trust] line"
is "$(stat -c %a "$T/v/keys/busprobe.key")" 600 "key files are mode 0600"

done_testing
