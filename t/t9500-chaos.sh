#!/bin/sh
# t9500: make chaos, shorter (issue 12): the four-validator network on the
# real broker, under work (a block every 500 ms with new sets, key
# generations, batches and burns; every processor's sign requests), while
# t/chaos/chaos.sh SIGKILLs one of its twenty processes every 0.3-1 s
# (make chaos: 0.5-3 s) until 200 kills, the supervisor restarting them;
# then everything catches up and chaos.sh's checks must all come out 0:
# blocks and events lost, duplicated or reordered on any validator's
# topic; sessions not completed once everywhere; attempts a processor was
# asked to sign twice; records missing from or extra in an archive;
# services failed; warnings that no kill explains.  Kills come faster than
# in make chaos, so the runfile's crash_limit is 30 in 1 m, not 10
# (about 4.6 kills a minute per service on average: 10 would be reached by
# chance).  Requests name the newest set from its first block on
# (CHAOS_REQUEST_MARGIN 0): a signer restarted behind its processor holds
# a request for a set it has not seen yet until the set comes, so none is
# refused (refused 0).  Recovery times are printed, not checked (a
# benchmark's job).
. t/lib.sh
. t/lib-kafka.sh
case " $(kafka_kinds) " in
*" real "*) ;;
*) skip_chosen "chaos runs on the real broker (KAFKA_KINDS has no real)" ;;
esac
KAFKA_KINDS=real kafka_require
plan 11

KILLS=${CHAOS_KILLS:-200}
CHAOS_KILLS=$KILLS CHAOS_SECONDS=${CHAOS_SECONDS:-400} \
    CHAOS_INTERVAL=${CHAOS_INTERVAL:-0.3-1} CHAOS_CRASH_LIMIT=30 \
    CHAOS_KAFKA=real CHAOS_REQUEST=3 CHAOS_REQUEST_MARGIN=0 sh t/chaos/chaos.sh >"$T/chaos.out" 2>&1
rc=$?
grep -v '^chaos: kills ' "$T/chaos.out" | sed 's/^/# /'
sum=$(grep '^chaos: kills ' "$T/chaos.out")
like "$sum" "^chaos: kills [0-9]+ lost" "chaos.sh printed its summary: $sum"
count() { printf '%s\n' "$sum" | sed -n "s/.* $1 \\([0-9]*\\).*/\\1/p"; }
k=$(count kills)
[ "${k:-0}" -ge "$KILLS" ]
ok $? "at least $KILLS kills survived (${k:-none})"
is "$(count lost)" 0 "no block, event or session lost"
is "$(count duplicated)" 0 "no block, event or session duplicated"
is "$(count reordered)" 0 "no block or event out of order"
is "$(count archive)" 0 "every archive holds its topics' records once"
is "$(count double-signed)" 0 "no processor asked to sign an attempt twice"
is "$(count failed)" 0 "no service failed (crash loop)"
is "$(count unexplained)" 0 "no warning or error a kill does not explain"
is "$(count refused)" 0 \
    "no processor's request refused by a signer for a set it had not seen yet"
is "$rc" 0 "chaos.sh exits 0"
done_testing
