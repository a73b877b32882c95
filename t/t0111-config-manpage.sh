#!/bin/sh
# t0111: coordinator.ini(5) is conf/ini2man.awk's output from the
# reference file (so it says what the reference says, and t0110 holds the
# reference to the schema), names every key of the schema, is clean mdoc,
# and make install puts the reference config and the pages in place with
# the configured SYSCONFDIR, without overwriting an operator's config.
. t/lib.sh
plan 9
PAGE=conf/coordinator.ini.5

awk -v date=X -f conf/ini2man.awk conf/coordinator.ini |
    grep -v '^\.Dd ' >"$T/gen"
grep -v '^\.Dd ' "$PAGE" >"$T/page"
d=$(diff "$T/gen" "$T/page" | head -n 10)
is "$d" "" "$PAGE is generated from conf/coordinator.ini (make man-conf)"

w=$(groff -mdoc -ww -z "$PAGE" 2>&1)
is "$w" "" "groff -mdoc -ww finds nothing to warn about"

# Every key of the schema (libcommon/cfgschema.c rows), as a tagged item
# of its own section's list.
awk -F'"' '/^[ \t]*\{ "[a-z_]+", "[a-z0-9_.]+",/ { print $2, $4 }' \
    libcommon/cfgschema.c >"$T/schema"
n=$(wc -l <"$T/schema")
[ "$n" -gt 60 ]
ok $? "read $n keys from the schema"
awk '/^\.Ss \[/ { s = $2; gsub(/[\[\]]/, "", s); next }
/^\.It Cm / { print s, $3 }' "$PAGE" >"$T/items"
missing=
while read -r sec key; do
	grep -qx "$sec $key" "$T/items" || missing="$missing [$sec] $key"
done <"$T/schema"
is "$missing" "" "every schema key has an entry in its section"

# make install, into a scratch root; build is up to date (make check
# built it), so -o build keeps make from rebuilding with other flags.
root=$T/root
make -s -o build install DESTDIR="$root" SYSCONFDIR=/etc/sc \
    PREFIX=/usr >"$T/install.out" 2>&1
ok $? "make install DESTDIR=... SYSCONFDIR=/etc/sc"
cmp -s conf/coordinator.ini "$root/etc/sc/coordinator.ini"
ok $? "the reference config is installed in SYSCONFDIR"
grep -q '^\.Pa /etc/sc/coordinator.ini' "$root/usr/share/man/man5/coordinator.ini.5"
ok $? "the installed page names SYSCONFDIR's file"
left=$(grep -l '@SYSCONFDIR@' "$root"/usr/share/man/man*/* 2>/dev/null)
is "$left" "" "no installed page keeps the placeholder"
echo "[general]" >"$root/etc/sc/coordinator.ini"
make -s -o build install DESTDIR="$root" SYSCONFDIR=/etc/sc \
    PREFIX=/usr >"$T/install2.out" 2>&1
is "$(cat "$root/etc/sc/coordinator.ini")" "[general]" \
    "a second install leaves the operator's config alone"
