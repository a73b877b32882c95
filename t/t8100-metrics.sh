#!/bin/sh
# t8100: the metrics files (issue 13).  One validator (t/net/mknet.sh, alice,
# with a second validator, bob, configured but never started, so that the
# connector has a peer that is down) under the supervisor, on the dev broker
# or a real one and the dev node.  For each of observer, connector, signer,
# archiver and the supervisor itself:
#   - its file, metrics_dir/NAME.PROG.prom, passes `promtool check metrics`
#     (Prometheus naming: base units, counters with _total);
#   - it says coord_build_info with the version -V prints;
#   - its metrics (name, type, labels) are exactly those the METRICS section
#     of its man page lists;
# the supervisor counts a service's restart and its last exit status; and
# after SIGTERM every file is gone.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
net_require
need_cmd promtool "promtool (Debian package prometheus) lints the files"
kafka_require
PROGS="observer connector signer archiver supervisor"
# 3 per program, 4 more, per broker kind
plan $(($(kafka_kinds | wc -w) * (3 * 5 + 4)))

# the METRICS section of PROG's man page: "name type label..." per metric,
# from lines ".It Sy NAME Ar TYPE [Op Cm LABEL...]"
man_list() {
	awk '/^\.Sh / { m = ($2 == "METRICS") }
	    m && $1 == ".It" && $2 == "Sy" && $4 == "Ar" {
		l = ""
		for (i = 6; i <= NF; i++)
			if ($i != "Op" && $i != "Cm")
				l = l " " $i
		print $3 " " $5 l
	    }' "$TOP/$1/$1.8" | sort
}

# the same from a metrics file: TYPE lines, and the labels of the samples
# but service (every sample has it)
file_list() {
	awk '/^# TYPE / { type[$3] = $4; next }
	    /^#/ { next }
	    {
		name = substr($1, 1, index($1, "{") - 1)
		s = substr($1, index($1, "{") + 1)
		s = substr(s, 1, length(s) - 1)
		k = split(s, kv, ",")
		for (i = 1; i <= k; i++) {
			split(kv[i], p, "=")
			if (p[1] != "service" && !((name, p[1]) in seen)) {
				seen[name, p[1]] = 1
				lab[name] = lab[name] " " p[1]
			}
		}
	    }
	    END { for (n in type) print n " " type[n] lab[n] }' "$1" | sort
}

# file PROG: its metrics file
file() {
	case $1 in
	supervisor) echo "$D/metrics/net.supervisor.prom" ;;
	*) echo "$D/alice/metrics/alice.$1.prom" ;;
	esac
}

same() { [ "$(man_list "$1")" = "$(file_list "$(file "$1")")" ]; }

# sup_metric NAME CHILD: the values of the supervisor's NAME for CHILD
sup_metric() {
	awk -v k="$1{service=\"net.supervisor\",child=\"$2\"" '
	    index($1, k) == 1 && (substr($1, length(k) + 1, 1) == "}" ||
	    substr($1, length(k) + 1, 1) == ",") { print $2 }' \
	    "$D/metrics/net.supervisor.prom"
}

restarted() {
	[ "$(sup_metric coord_supervisor_restarts_total alice.connector)" = 1 ]
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	NET_INTERVAL=500ms net_make "$D" alice bob
	# bob is configured (a validator of alice's connector and of the
	# chain's sets) but not run; heartbeats, hence metrics, twice a second
	awk '/^\[/ { skip = ($0 ~ /^\[bob\./) } !skip' "$D/net.run" |
	    sed -E 's/, bob\.[a-z]+//g' >"$D/net.run.new" &&
	    mv "$D/net.run.new" "$D/net.run"
	sed -i 's/^heartbeat_interval = .*/heartbeat_interval = 500ms/' \
	    "$D/alice/coord.ini"
	net_start "$D"
	for p in $PROGS; do
		f=$(file "$p")
		# every family is there once the loops have run a few times
		wait_for 20 same "$p"
		if ! promtool check metrics <"$f" >"$D/$p.lint" 2>&1; then
			sed 's/^/# /' "$D/$p.lint"
			false
		fi
		ok $? "$kind: $p: promtool check metrics"
		v=$("$TOP/$p/$p" -V | awk '{ print $2 }')
		svc=alice.$p
		[ "$p" = supervisor ] && svc=net.supervisor
		grep -qx "coord_build_info{service=\"$svc\",version=\"$v\"} 1" \
		    "$f"
		ok $? "$kind: $p: coord_build_info, version $v"
		is "$(file_list "$f")" "$(man_list "$p")" \
		    "$kind: $p: the metrics $p.8 lists, with their types and labels"
	done

	# the connector is up once ready: its partitions assigned, which
	# may come after the others are up
	wait_for 30 sh -c "[ \"\$(grep '^coord_supervisor_state{[^}]*child=\"alice.connector\",state=\"up\"' \
	    '$D/metrics/net.supervisor.prom' | awk '{ print \$2 }')\" = 1 ]"
	is "$(grep '^coord_supervisor_state{[^}]*child="alice.connector"' \
	    "$D/metrics/net.supervisor.prom" | sed 's/.*state="//' |
	    tr '\n' ' ')" 'down"} 0 starting"} 0 up"} 1 stopping"} 0 backoff"} 0 finished"} 0 failed"} 0 ' \
	    "$kind: supervisor: alice.connector's state is up, one of seven"
	# a crash: the restart and its status are counted
	pid=$("$SUPERVISOR" -f "$D/supervisor.ini" -r "$D/run" -s |
	    awk '$1 == "alice.connector" { print $3 }')
	kill -KILL "$pid"
	wait_for 20 restarted
	ok $? "$kind: supervisor: the connector's restart is counted"
	is "$(sup_metric coord_supervisor_last_exit_code alice.connector)" \
	    137 "$kind: supervisor: its last exit status, 128 + SIGKILL"

	net_stop "$D"
	left=$(ls "$D/metrics" "$D/alice/metrics" | grep '\.prom')
	is "$left" "" "$kind: SIGTERM: every metrics file is removed"
	kafka_stop "$kind"
done
done_testing
