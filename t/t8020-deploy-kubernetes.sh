#!/bin/sh
# t8020: deploy/kubernetes, the manifests of the four services.
#   - they validate, strictly (no unknown field), against the Kubernetes
#     API of 1.31 and 1.34 (kubernetes-validate, pinned, installed from
#     PyPI into the cache), and a manifest with a misspelt field does not;
#   - one Deployment (Recreate: never two of one service id) per
#     stateless service, a StatefulSet with a claim for the archiver; each
#     with requests, exec probes, a grace period, the keys of its own
#     service only from the Secret;
#   - each pod, as this machine runs it (the manifests parsed: every
#     volume's mount path mapped into a scratch root, the ConfigMap's
#     coordinator.ini with one validator's site values (t/net/mknet.sh), its
#     keys in the Secret's place), on the dev broker or a real one and the
#     dev node: the init container copies the keys (mode 0400), the
#     container's command line starts the service (exec: the pid is the
#     binary), the startup, readiness and liveness probes (its -s) pass;
#     stuck (SIGSTOP), its status goes stale and readiness and liveness
#     fail until it goes on (SIGCONT); SIGTERM stops it, exit 0, within
#     terminationGracePeriodSeconds.
. t/lib.sh
. t/lib-kafka.sh
. t/lib-coord.sh
. t/lib-observer.sh
. t/lib-net.sh
. t/lib-deploy.sh
dep_require
need_cmd flock "one installer at a time"
python3 -m venv --help >/dev/null 2>&1 ||
    skip_all "python3 -m venv does not work: the python3-venv package"
dep_kv_install || {
	sed 's/^/# /' "$T/kv-install.log"
	skip_all "cannot install kubernetes-validate==$KV_VERSION from PyPI"
}
kafka_require
plan $((4 + 42 * $(kafka_kinds | wc -w)))
M=$TOP/deploy/kubernetes

for v in 1.31.0 1.34.0; do
	"$KV" --strict --quiet -k "$v" "$M"/*.yaml >"$T/kv-$v.log" 2>&1
	r=$?
	ok $r "the manifests pass kubernetes-validate --strict -k $v"
	[ $r -eq 0 ] || sed 's/^/# /' "$T/kv-$v.log"
done
sed 's/terminationGracePeriodSeconds:/terminationGracePeriod:/' \
    "$M/observer.yaml" >"$T/typo.yaml"
"$KV" --strict --quiet -k 1.31.0 "$T/typo.yaml" >"$T/kv-typo.log" 2>&1
ok $((!$?)) "... and a misspelt field fails it"

# What each workload is, from the manifests.
"$KV_VENV/bin/python" - "$M" >"$T/shape" <<'PY'
import glob, sys, yaml
docs = [d for f in sorted(glob.glob(sys.argv[1] + '/*.yaml'))
        for d in yaml.safe_load_all(open(f)) if d]
for w in docs:
    if w['kind'] not in ('Deployment', 'StatefulSet'):
        continue
    pod = w['spec']['template']['spec']
    c = pod['containers'][0]
    sec = [v['secret'] for v in pod['volumes'] if 'secret' in v][0]
    print(w['metadata']['name'], w['kind'],
          w['spec'].get('strategy', {}).get('type', '-'),
          len(w['spec'].get('volumeClaimTemplates', [])),
          'probes=' + ','.join(p for p in ('startup', 'readiness', 'liveness')
                               if 'exec' in c.get(p + 'Probe', {})),
          'requests=' + ','.join(sorted(c['resources']['requests'])),
          'nonroot=%s' % pod['securityContext']['runAsNonRoot'],
          'keys=' + ','.join(i['key'] for i in sec['items']))
PY
is "$(sort "$T/shape")" "archiver StatefulSet - 1 probes=startup,readiness,liveness requests=cpu,memory nonroot=True keys=archiver.key,archive.key
connector Deployment Recreate 0 probes=startup,readiness,liveness requests=cpu,memory nonroot=True keys=connector.key,p2p.key
observer Deployment Recreate 0 probes=startup,readiness,liveness requests=cpu,memory nonroot=True keys=observer.key
signer Deployment Recreate 0 probes=startup,readiness,liveness requests=cpu,memory nonroot=True keys=signer.key" \
    "a workload per service: kind, strategy, claims, exec probes, requests, non-root, its own keys"

# probe NAME KIND: the manifest's KIND probe of NAME, run here
probe() { sh "$K/$1/$2.sh" >/dev/null 2>&1; }
# fails NAME KIND: the KIND probe of NAME fails
fails() { ! probe "$1" "$2"; }
all_live() {
	for _p in $DEP_PROGS; do
		probe "$_p" liveness && probe "$_p" readiness || return 1
	done
}

for kind in $(kafka_kinds); do
	kafka_start "$kind"
	D=$T/$kind
	K=$D/k8s
	dep_validator "$D"
	PATH=$(dep_path)
	is "$(dep_k8s_plan "$M" "$D/alice/coord.ini" "$D/alice/keys" "$K" |
	    sort | tr '\n' ' ')" "archiver connector observer signer " \
	    "$kind: the workloads, mapped here"
	# heartbeats every second, not 10: stale (-s exit 2) after 3 s, not
	# 30, for the stuck services below
	for p in $DEP_PROGS; do
		sed -i 's/^heartbeat_interval = .*/heartbeat_interval = 1s/' \
		    "$(cat "$K/$p/root.path")/etc/serai-coordinator/coordinator.ini"
	done

	for p in $DEP_PROGS; do
		root=$(cat "$K/$p/root.path")
		sh "$K/$p/init-0.sh" >"$K/$p/init.log" 2>&1
		ok $? "$kind: $p: the init container copies the keys" \
		    "$(head -n 3 "$K/$p/init.log")"
		is "$(cd "$root/run/serai-coordinator/keys" &&
		    stat -c '%n %a' * | tr '\n' ' ')" \
		    "$(sed -n 's/.*key: \([a-z0-9]*\.key\).*/\1 400/p' \
		    "$M/$p.yaml" | sort | tr '\n' ' ')" \
		    "$kind: $p: its keys only, mode 0400"
		sh "$K/$p/main.sh" 2>"$K/$p/stderr" &
		eval "pid_$p=$!"
		track_pid $!
	done
	for p in $DEP_PROGS; do
		eval "pid=\$pid_$p"
		wait_for 60 probe "$p" startup
		r=$?
		ok $r "$kind: $p starts: its startupProbe passes"
		[ $r -eq 0 ] || dep_show "$K/$p/stderr"
		probe "$p" readiness
		ok $? "$kind: $p: readinessProbe passes"
		probe "$p" liveness
		ok $? "$kind: $p: livenessProbe passes"
		is "$(cat "/proc/$pid/comm" 2>&1)" "$p" \
		    "$kind: $p: the container's process is $p itself (exec)"
	done

	# A service stuck (SIGSTOP): its status file goes stale (-s exit 2),
	# not ready, not alive; continued, both probes pass again.
	for p in $DEP_PROGS; do
		eval "kill -STOP \$pid_$p"
	done
	for p in $DEP_PROGS; do
		wait_for 20 fails "$p" liveness
		ok $? "$kind: $p stuck: livenessProbe fails (-s: stale)"
		fails "$p" readiness
		ok $? "$kind: $p: ... and readinessProbe"
	done
	for p in $DEP_PROGS; do
		eval "kill -CONT \$pid_$p"
	done
	wait_for 25 all_live
	ok $? "$kind: each service goes on: the probes pass again"

	for p in $DEP_PROGS; do
		eval "pid=\$pid_$p"
		grace=$(cat "$K/$p/grace")
		t0=$(date +%s%N)
		kill -TERM "$pid"
		wait "$pid"
		r=$?
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		is "$r" 0 "$kind: $p: SIGTERM, exit 0"
		[ "$r" -eq 0 ] || dep_show "$K/$p/stderr"
		ok $((ms >= grace * 1000)) "$kind: $p stopped in $ms ms," \
		    "within terminationGracePeriodSeconds ($grace s)"
	done
	kafka_stop "$kind"
done
done_testing
