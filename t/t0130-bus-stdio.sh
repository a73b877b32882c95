#!/bin/sh
# t0130: the bus on stdio: length-delimited envelopes and JSON Lines through
# a pipe of filters (A -o - | B -i - -o - | C -i -), tampering caught,
# a closed pipe ending a filter quietly, a broken stream named.
. t/lib.sh
. t/lib-coord.sh
need_cmd jq "the test reads JSON Lines with jq"
plan 15

C=$(coord_conf "$T/v" alice busprobe)
# No broker anywhere: a stdio pipe must not need one.
probe() { "$BUSPROBE" -f "$C" -X bootstrap.servers=127.0.0.1:1 "$@"; }
seqs() { jq -r '.body.seq' | tr '\n' ' '; }

is "$(probe -o - send 5 p 2>"$T/e" | probe -i - -o - relay 2>>"$T/e" |
    probe -i - recv 2>>"$T/e" | seqs)" "1 2 3 4 5 " \
    "length-delimited: send | relay | recv, each once, in order"
is "$(probe -o - -J send 3 j 2>>"$T/e" | probe -i - -o - -J relay \
    2>>"$T/e" | probe -i - -J recv 2>>"$T/e" | seqs)" "1 2 3 " \
    "JSON Lines: send | relay | recv"
probe -o - -J send 3 j >"$T/j" 2>>"$T/e"
is "$(head -n 1 "$T/j" | jq -r '"\(.topic) \(.type) \(.from) \(.body.text)"')" \
    "signing TEST_MESSAGE alice.busprobe j" "a JSON line reads as typed data"
probe -o "$T/bin" send 3 b 2>>"$T/e"
is "$(probe -i "$T/bin" recv 2>>"$T/e" | seqs)" "1 2 3 " "-o FILE, -i FILE"

# Records written as JSON verify when read back (exact round trip).
is "$(probe -i "$T/j" -J recv 2>>"$T/e" | seqs)" "1 2 3 " \
    "a JSON file read back verifies"

# Tampering: one edited field, one bad line; the rest still flows.
sed '2s/"text":"j"/"text":"k"/' "$T/j" >"$T/j2"
echo 'not json at all' >>"$T/j2"
is "$(probe -i "$T/j2" -J recv 2>"$T/tamper" | seqs)" "1 3 " \
    "an edited line and a garbage line are dropped, the others delivered"
like "$(cat "$T/tamper")" 'rejected record .*bad signature from "alice.busprobe"' \
    "the edited line: bad signature"
like "$(cat "$T/tamper")" 'rejected record .*not JSON' \
    "the garbage line: not JSON"

# An envelope from an untrusted service.
M=$(coord_conf "$T/m" mallory busprobe)
"$BUSPROBE" -f "$M" -o - send 1 evil 2>/dev/null >"$T/evil"
is "$(probe -i "$T/evil" recv 2>"$T/u" | wc -l | tr -d ' ')" "0" \
    "an untrusted sender's envelope is not delivered"
like "$(cat "$T/u")" 'untrusted sender "mallory.busprobe"' \
    "... and the reason is logged"

# A reader that stops early ends the writers quietly (exit 0).
probe -o - send 200000 x 2>"$T/p1" | probe -i - -o - relay 2>"$T/p2" |
    probe -i - -c 2 recv >/dev/null 2>"$T/p3"
ok $? "a closed pipe: the reader exits 0"
! grep -q fatal "$T/p1" "$T/p2"
ok $? "... and the writers exit without a fatal error"

# A truncated stream is an error that says so.
head -c 50 "$T/bin" >"$T/trunc"
probe -i "$T/trunc" recv >/dev/null 2>"$T/tr"
is "$?" "111" "truncated stream: exit 111"
like "$(cat "$T/tr")" "truncated record at end of input" "... named"
printf '\377\377\377\377\377\377\377\377\377\377\377' >"$T/junk"
probe -i "$T/junk" recv >/dev/null 2>"$T/jk"
like "$(cat "$T/jk")" "not a length-delimited stream; use -J" \
    "a non-framed stream: the error suggests -J"

done_testing
