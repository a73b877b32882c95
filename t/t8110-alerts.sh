#!/bin/sh
# t8110: deploy/prometheus/alerts.yml, the alert rules (issue 13): promtool
# check rules accepts them, promtool test rules passes alerts.test.yml (for
# each alert a series that fires it and one that does not), and every
# metric a rule reads is one some binary writes (its man page lists it, and
# t8100 holds each man page to its binary's file).
. t/lib.sh
need_cmd promtool "promtool (Debian package prometheus) checks the rules"
P=$TOP/deploy/prometheus
plan 4

promtool check rules "$P/alerts.yml" >"$T/check.out" 2>&1
rc=$?
sed 's/^/# /' "$T/check.out"
ok $rc "promtool check rules alerts.yml"

(cd "$P" && promtool test rules alerts.test.yml) >"$T/test.out" 2>&1
rc=$?
sed 's/^/# /' "$T/test.out"
ok $rc "promtool test rules alerts.test.yml"

# every alert of alerts.yml has a unit test
is "$(grep -o 'alertname: [A-Za-z]*' "$P/alerts.test.yml" |
    sed 's/alertname: //' | sort -u)" \
    "$(sed -n 's/^ *- alert: //p' "$P/alerts.yml" | sort -u)" \
    "every alert is unit-tested"

# the metrics the rules read, against the binaries' METRICS sections
for p in observer connector signer archiver supervisor; do
	awk '/^\.Sh / { m = ($2 == "METRICS") }
	    m && $1 == ".It" && $2 == "Sy" { print $3 }' "$TOP/$p/$p.8"
done | sort -u >"$T/documented"
grep -o 'coord_[a-z_]*' "$P/alerts.yml" | sort -u >"$T/used"
is "$(comm -23 "$T/used" "$T/documented" | tr '\n' ' ')" "" \
    "the rules read only metrics the binaries write"
done_testing
