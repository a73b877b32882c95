#!/bin/sh
# t0110: conf/coordinator.ini documents every key of the schema
# (libcommon/cfgschema.c) in its section with its built-in default, and
# names no key the schema lacks; the file itself, uncommented, is valid.
. t/lib.sh
. t/lib-coord.sh
plan 5
REF=conf/coordinator.ini

# The schema's rows: section key default (default "-" for none).
awk -F'"' '/^[ \t]*\{ "[a-z_]+", "[a-z0-9_.]+",/ {
	def = ($6 == "" && $0 ~ /NULL[ \t]*\}/) ? "-" : $6
	print $2, $4, def
}' libcommon/cfgschema.c | sed 's/" *"//g' >"$T/schema"
# Multi-line defaults (the events list) are joined by the compiler: join
# the string pieces the same way.
awk '/"observation", "events"/ { on = 1 } on { s = s $0 } on && /\},/ {
	gsub(/"[ \t]*"/, "", s); gsub(/[ \t]+/, " ", s)
	match(s, /CFG_LIST, *"[^"]*"/); v = substr(s, RSTART, RLENGTH)
	sub(/CFG_LIST, *"/, "", v); sub(/"$/, "", v); print v; exit }' \
	libcommon/cfgschema.c >"$T/events"
n=$(wc -l <"$T/schema")
[ "$n" -gt 50 ]
ok $? "read $n keys from the schema"

# The reference's keys: ";key = value" or "key = value" under [section].
awk '/^;?\[/ { s = $0; gsub(/[;\[\]]/, "", s); split(s, w, " "); sec = w[1]; next }
/^;?[a-z0-9_.]+ =/ { l = $0; sub(/^;/, "", l); k = l; sub(/ =.*/, "", k)
	v = l; sub(/^[^=]*= ?/, "", v); print sec, k, v }' "$REF" >"$T/ref"

missing=
wrong=
while read -r sec key def; do
	got=$(awk -v s="$sec" -v k="$key" '$1 == s && $2 == k {
		$1 = ""; $2 = ""; print; exit }' "$T/ref" | sed 's/^ *//; s/ *$//')
	if ! awk -v s="$sec" -v k="$key" '$1 == s && $2 == k { f = 1 }
	    END { exit !f }' "$T/ref"; then
		missing="$missing [$sec] $key"
		continue
	fi
	[ "$sec.$key" = observation.events ] && def=$(cat "$T/events")
	[ "$def" = "-" ] && continue
	[ "$got" = "$def" ] || wrong="$wrong [$sec] $key ('$got' vs '$def')"
done <"$T/schema"
is "$missing" "" "every schema key is documented in $REF"
is "$wrong" "" "with the schema's default"

extra=
while read -r sec key val; do
	case $sec in kafka|trust) continue ;; esac
	grep -q "^$sec $key " "$T/schema" || extra="$extra [$sec] $key"
done <"$T/ref"
is "$extra" "" "$REF names no key the schema lacks"

# Uncommented, the reference is a valid file that changes nothing.
sed 's/^;\([a-z0-9_.]*\) =/\1 =/; s/^;\[/[/' "$REF" |
    grep -v '^alice.observer\|^public_key\|^chain_key\|^endpoint\|^weight\|^\[validator' \
    >"$T/all.ini"
out=$("$KEYGEN" -n -f "$T/all.ini" 2>&1)
ok $? "every key set to its default: -n accepts the file ($out)"

done_testing
