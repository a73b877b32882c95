#!/bin/sh
# The published party vectors (t/vectors/party.json, made by the C code)
# agree with an independent Python implementation of the specification.
. t/lib.sh
need_cmd python3 "the independent party implementation is Python"
plan 5

out=$(python3 t/vectors/party.py check t/vectors/party.json)
ok $? "the Python implementation agrees with every vector"
n=$(printf '%s\n' "$out" | grep -c '^ok ')
ok $([ "$n" -ge 40 ]; echo $?) "$n checks made"

# The check can fail: a vector with one member swapped must not pass.
python3 - t/vectors/party.json >"$T/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = d["vectors"][0]
n = len(v["validators"])
out = [i for i in range(n) if i not in v["expect_party"]][0]
v["expect_party"] = sorted(v["expect_party"][1:] + [out])
json.dump(d, sys.stdout)
PY
python3 t/vectors/party.py check "$T/bad.json" >"$T/bad.out"
rc=$?
ok $([ $rc -ne 0 ]; echo $?) "a tampered vector fails the check"
like "$(grep '^not ok' "$T/bad.out")" "four equal, attempt 0: party" \
    "the failure names the vector"

# And the C side checks the same file (its unit test reads it).
t/unit/party.test >"$T/c.out" 2>&1
ok $? "t/unit/party.test passes on the same vectors"
done_testing
