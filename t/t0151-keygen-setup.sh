#!/bin/sh
# t0151 (issue 13): coord-keygen setup NAME makes everything a validator
# needs (key_dir mode 0700; the four services' keys, the libp2p identity
# and the archive key, mode 0600), keeps what is there, checks it before
# writing anything, prints the [trust] lines and the [validator NAME]
# section, the same on every run; what it prints makes another
# validator's configuration that every service's -n accepts.  Relative
# paths in the configuration are relative to its folder.
. t/lib.sh
. t/lib-coord.sh
for _b in observer connector signer archiver; do
	[ -x "$_b/$_b" ] || skip_all "$_b not built: run make"
done
plan 36

mkv() {		# mkv DIR NAME [LISTEN]: a configuration with paths unset
	mkdir -p "$1"
	printf '[general]\nname = %s\n[connection]\nlisten = %s\n' "$2" \
	    "${3:-/ip4/192.0.2.1/tcp/30333}" >"$1/coord.ini"
}
modes() { _d=$1; shift; (cd "$_d" && stat -c '%n %a' "$@" 2>&1 | tr '\n' ' '); }
sums() { (cd "$1" && sha256sum ./*.key 2>&1); }
FILES="observer.key connector.key signer.key archiver.key p2p.key archive.key"

# A first run, from another directory, with a relative -f: the keys go to
# the configuration's folder's keys/, the default key_dir.
mkv "$T/a" alice
(cd "$T" && "$KEYGEN" -f a/coord.ini setup alice) >"$T/out1" 2>"$T/err1"
is "$?" 0 "setup alice: exit 0"
is "$(stat -c %a "$T/a/keys" 2>&1)" 700 \
    "key_dir made beside the configuration (not in the working directory), mode 0700"
# shellcheck disable=SC2086
is "$(modes "$T/a/keys" $FILES)" \
    "observer.key 600 connector.key 600 signer.key 600 archiver.key 600 p2p.key 600 archive.key 600 " \
    "the four services' keys, the p2p identity, the archive key: mode 0600"
[ ! -e "$T/keys" ]
ok $? "nothing in the working directory"
is "$(grep -c 'info: wrote ' "$T/err1")" 6 "it says it wrote six files"

# What it prints: [trust] as coord-keygen -p prints it, then the section.
trust=$("$KEYGEN" -q -f "$T/a/coord.ini" -p observer connector signer archiver)
got=$(sed -n '/^\[trust\]/,/^$/p' "$T/out1" | grep ' = ')
is "$got" "$trust" "[trust]: the four services' lines, as -p prints them"
p2p=$("$KEYGEN" -q -f "$T/a/coord.ini" -p "$T/a/keys/p2p.key" | sed 's/.* = //')
got=$(sed -n '/^\[validator alice\]/,$p' "$T/out1" | grep -v '^;')
is "$got" "[validator alice]
public_key = $p2p
endpoint = /ip4/192.0.2.1/tcp/30333" \
    "[validator alice]: the p2p identity's public key and [connection] listen"
grep -q '^\[trust\]' "$T/out1" && [ "$(grep -c '^\[' "$T/out1")" -eq 2 ]
ok $? "exactly two sections"

# Idempotent: the same output, no file touched, each one said kept.
sums "$T/a/keys" >"$T/sums1"
"$KEYGEN" -f "$T/a/coord.ini" setup alice >"$T/out2" 2>"$T/err2"
is "$?" 0 "setup again: exit 0"
is "$(cat "$T/out2")" "$(cat "$T/out1")" "... prints the same"
is "$(sums "$T/a/keys")" "$(cat "$T/sums1")" "... overwrites nothing"
is "$(grep -c 'info: kept ' "$T/err2")" 6 "... and says it kept six files"
"$KEYGEN" -q -f "$T/a/coord.ini" -p setup alice >"$T/out3" 2>&1
is "$(cat "$T/out3")" "$(cat "$T/out1")" "-p setup prints the same"

# One missing: made; the others kept.
rm "$T/a/keys/signer.key"
"$KEYGEN" -f "$T/a/coord.ini" setup alice >"$T/out4" 2>"$T/err4"
is "$?" 0 "signer.key gone: setup exit 0"
like "$(cat "$T/err4")" "wrote $T/a/keys/signer.key" "... makes it"
is "$(diff "$T/out1" "$T/out4" | grep -c '^[<>]')" 2 \
    "... and only its [trust] line changed"

# A bad file that is there stops it before it writes anything.
rm "$T/a/keys/connector.key"
chmod 644 "$T/a/keys/observer.key"
out=$("$KEYGEN" -f "$T/a/coord.ini" setup alice 2>&1)
is "$?" 100 "a key of mode 0644: exit 100"
like "$out" "observer.key: secret file is mode 0644" "... naming the file and why"
[ ! -e "$T/a/keys/connector.key" ]
ok $? "... and nothing written (the missing key is still missing)"
chmod 600 "$T/a/keys/observer.key"
echo "not a key" >"$T/a/keys/archive.key"
out=$("$KEYGEN" -f "$T/a/coord.ini" setup alice 2>&1)
like "$out" "archive.key: not a key file" "an archive key that is not a key: refused"
rm "$T/a/keys/archive.key"
out=$("$KEYGEN" -f "$T/a/coord.ini" -p setup alice 2>&1)
is "$?" 100 "-p setup with keys missing: exit 100, makes none"
"$KEYGEN" -q -f "$T/a/coord.ini" setup alice >/dev/null 2>&1

# A key_dir whose parents are missing, written with a trailing slash.
mkdir -p "$T/d"
printf '[general]\nname = dora\nkey_dir = deep/er/keys/\n' >"$T/d/coord.ini"
"$KEYGEN" -q -f "$T/d/coord.ini" setup dora >/dev/null 2>&1
is "$? $(stat -c %a "$T/d/deep/er/keys" 2>&1) $(ls "$T/d/deep/er/keys" | wc -l)" \
    "0 700 6" "key_dir deep/er/keys/: made with its parents, mode 0700, six keys"

# identity_key in a folder that is not there: said, and nothing made.
mkv "$T/f" fred
printf 'identity_key = nodir/p2p.key\n' >>"$T/f/coord.ini"
out=$("$KEYGEN" -f "$T/f/coord.ini" setup fred 2>&1)
is "$?" 100 "identity_key's folder missing: exit 100"
like "$out" "$T/f/nodir/p2p.key: no folder $T/f/nodir to make it in" \
    "... naming the file and its folder"
[ ! -e "$T/f/keys" ]
ok $? "... with nothing made"

# NAME: a name only, and the configuration's.
mkv "$T/n" 'a.b'
for bad in 'a.b' 'a b' '-a' '' "$(printf '%070d' 0)"; do
	out=$("$KEYGEN" -f "$T/n/coord.ini" -- setup "$bad" 2>&1)
	rc=$?
	[ "$rc" -eq 100 ] && case $out in *'bad NAME'*) true ;; *) false ;; esac
	ok $? "setup '$bad': refused (exit $rc)"
done
[ ! -e "$T/n/keys" ]
ok $? "... with nothing made"
out=$("$KEYGEN" -f "$T/a/coord.ini" setup bob 2>&1)
is "$?" 100 "setup bob on alice's configuration: exit 100"
like "$out" "names this validator \"alice\" \($T/a/coord.ini:2\): set name = bob" \
    "... says where the name is and what to do"

# Another validator, bob, pastes alice's output: every service accepts it.
mkv "$T/b" bob /ip4/0.0.0.0/tcp/30334
err=$("$KEYGEN" -f "$T/b/coord.ini" setup bob 2>&1 >"$T/bob.txt")
like "$err" "warning: endpoint /ip4/0.0.0.0/tcp/30334: the others cannot dial" \
    "a wildcard listen address: a warning"
cat "$T/bob.txt" "$T/out1" >>"$T/b/coord.ini"
fails=
for p in observer connector signer archiver; do
	"$p/$p" -n -f "$T/b/coord.ini" >"$T/n.$p" 2>&1 || fails="$fails $p"
done
is "$fails" "" "bob's configuration with alice's output: every service's -n exits 0"
"connector/connector" -f "$T/b/coord.ini" -n -v 2>&1 | grep -q 'is not our identity'
ok $((!$?)) "... and its own [validator bob] section is its identity"

done_testing
