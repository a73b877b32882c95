# lib-deploy.sh: one validator for the tests of deploy/ (t/t8xxx-deploy-*),
# on the dev broker or a real one and the dev node.  Source after t/lib.sh,
# t/lib-kafka.sh, t/lib-observer.sh and t/lib-net.sh (kafka_start exports
# BOOTSTRAP).
#
#   DEP_PROGS              the four services: observer connector signer
#                          archiver
#   dep_require            skip (fail in CI) unless everything is built
#   dep_validator DIR      validator alice in DIR (t/net/mknet.sh with one
#                          name): DIR/alice/coord.ini, its keys and topics,
#                          and the dev node serving DIR/rpc, running
#   dep_badkey DIR         DIR/bad/coord.ini: alice's configuration with a
#                          key_dir whose observer key is not a key (the
#                          observer exits 100 on it)
#   dep_path               a PATH with the built binaries first
#   dep_install KIND DIR CONF
#                          deploy/KIND's four service directories copied
#                          into DIR as they ship, but env/COORD_CONFIG (CONF)
#                          and env/PATH (dep_path)
#   dep_show FILE...       the files' last lines as TAP comments
DEP_PROGS="observer connector signer archiver"

dep_require() {
	net_require
	for _b in observer connector signer archiver; do
		[ -x "$TOP/$_b/$_b" ] || skip_all "$_b not built: run make"
	done
}

dep_validator() {
	net_make "$1" alice
	"$DEVNODE" -a "$(cat "$1/rpc")" -i 500ms -V "$1/validators" -d 3 \
	    3>"$1/devnode.ready" >"$1/devnode.out" 2>"$1/devnode.err" \
	    </dev/null &
	track_pid $!
	if ! wait_for 20 test -s "$1/devnode.ready"; then
		sed 's/^/# /' "$1/devnode.err"
		echo "Bail out! the dev node did not start"
		exit 1
	fi
	if ! "$PROCSIM" -q -f "$1/alice/coord.ini" -C \
	    >"$1/topics.log" 2>&1; then
		sed 's/^/# /' "$1/topics.log"
		echo "Bail out! the topics could not be made"
		exit 1
	fi
}

dep_badkey() {
	mkdir -p "$1/bad/keys"
	chmod 700 "$1/bad/keys"
	echo "not a key" >"$1/bad/keys/observer.key"
	chmod 600 "$1/bad/keys/observer.key"
	sed "s|^key_dir = .*|key_dir = $1/bad/keys|" "$1/alice/coord.ini" \
	    >"$1/bad/coord.ini"
}

dep_path() {
	echo "$TOP/observer:$TOP/connector:$TOP/signer:$TOP/archiver:$PATH"
}

dep_install() {
	mkdir -p "$2"
	for _p in $DEP_PROGS; do
		cp -R "$TOP/deploy/$1/$_p" "$2/$_p"
		echo "$3" >"$2/$_p/env/COORD_CONFIG"
		dep_path >"$2/$_p/env/PATH"
	done
}

dep_show() {
	for _f in "$@"; do
		echo "# --- $_f"
		tail -n 15 "$_f" 2>&1 | sed 's/^/#   /'
	done
}

# Kubernetes: kubernetes-validate, pinned, in a virtualenv of its own in
# the cache (made once; one maker at a time).  Made where it stays: a
# virtualenv moved after it was made keeps the old path in its scripts'
# #! lines (a venv made in NAME.tmp and renamed ran no more: "not found").
# .complete marks a finished install; a partial one is made again.
KV_VERSION=1.34.1
KV_VENV=${HOME:-/tmp}/.cache/serai-coordinator/kubernetes-validate-$KV_VERSION
KV=$KV_VENV/bin/kubernetes-validate

dep_kv_install() {
	[ -f "$KV_VENV/.complete" ] && [ -x "$KV" ] && return 0
	mkdir -p "${KV_VENV%/*}"
	flock "${KV_VENV%/*}/.kv-lock" sh -c "[ -f '$KV_VENV/.complete' ] ||
	    { rm -rf '$KV_VENV' && python3 -m venv '$KV_VENV' &&
	    '$KV_VENV/bin/pip' install -q \
	    kubernetes-validate==$KV_VERSION && touch '$KV_VENV/.complete'; } ||
	    { rm -rf '$KV_VENV'; exit 1; }" >"$T/kv-install.log" 2>&1
}

# dep_k8s_plan MANIFESTS_DIR SITE_INI KEY_DIR OUT: each workload of the
# manifests as this machine runs it, in OUT/NAME/: every path a volume is
# mounted at is mapped into OUT/NAME/root, where the volumes are made:
# the ConfigMap's files (coordinator.ini with the site's name, broker, node,
# listen address, [trust] lines and [validator] sections from SITE_INI),
# the Secret's items (from KEY_DIR, mode defaultMode), empty directories
# for emptyDir and claims.  Writes init-N.sh (each init container, in
# order), main.sh (the container), startup.sh, readiness.sh, liveness.sh
# (the exec probes), grace (terminationGracePeriodSeconds); prints the
# workloads' names.
dep_k8s_plan() {
	"$KV_VENV/bin/python" - "$@" <<'PY'
import glob, os, re, shlex, sys, yaml
mdir, site, keydir, out = sys.argv[1:5]

def sections(text):
    secs, cur = [], None
    for l in text.splitlines():
        m = re.match(r'\s*\[([^]]+)\]\s*$', l)
        if m:
            cur = [m.group(1), []]
            secs.append(cur)
        elif cur is not None and l.strip() and not l.lstrip().startswith((';', '#')):
            cur[1].append(l)
    return secs

sitesecs = sections(open(site).read())
def siteval(sec, key):
    for s, ls in sitesecs:
        if s == sec:
            for l in ls:
                k, _, v = l.partition('=')
                if k.strip() == key:
                    return v.strip()
    raise SystemExit('site config: no %s.%s' % (sec, key))

def localize(ini):
    want = {('general', 'name'), ('kafka', 'bootstrap.servers'),
            ('observation', 'rpc_endpoint'), ('connection', 'listen')}
    lines, sec, out = ini.splitlines(), None, []
    for l in lines:
        m = re.match(r'\s*\[([^]]+)\]\s*$', l)
        if m:
            sec = m.group(1)
        k = l.partition('=')[0].strip()
        if '=' in l and (sec, k) in want:
            l = '%s = %s' % (k, siteval(sec, k))
            want.discard((sec, k))
        out.append(l)
        if m and sec == 'trust':
            out += [t for s, ls in sitesecs if s == 'trust' for t in ls]
    if want:
        raise SystemExit('ConfigMap coordinator.ini lacks %s' % sorted(want))
    for s, ls in sitesecs:
        if s.startswith('validator '):
            out += ['', '[%s]' % s] + ls
    return '\n'.join(out) + '\n'

docs = [d for f in sorted(glob.glob(mdir + '/*.yaml'))
        for d in yaml.safe_load_all(open(f)) if d]
cms = {d['metadata']['name']: d for d in docs if d['kind'] == 'ConfigMap'}
for w in docs:
    if w['kind'] not in ('Deployment', 'StatefulSet'):
        continue
    name = w['metadata']['name']
    pod = w['spec']['template']['spec']
    wd = os.path.join(out, name)
    root = os.path.join(wd, 'root')
    os.makedirs(root, exist_ok=True)
    conts = pod.get('initContainers', []) + pod['containers']
    mounts = sorted({m['mountPath'] for c in conts
                     for m in c.get('volumeMounts', [])}, key=len, reverse=True)
    pat = re.compile(r'(?<![\w./-])(%s)(?=/|\s|$|[;&|)\'"])' %
                     '|'.join(re.escape(m) for m in mounts))
    def mp(s):
        return pat.sub(lambda m: root + m.group(1), s)
    vols = {v['name']: v for v in pod.get('volumes', [])}
    for c in w['spec'].get('volumeClaimTemplates', []):
        vols[c['metadata']['name']] = {'claim': True}
    made = set()
    for c in conts:
        for m in c.get('volumeMounts', []):
            dst, v = root + m['mountPath'], vols[m['name']]
            if dst in made:
                continue
            made.add(dst)
            os.makedirs(dst, exist_ok=True)
            if 'configMap' in v:
                for k, text in cms[v['configMap']['name']]['data'].items():
                    if k.endswith('.ini'):
                        text = mp(localize(text))
                    open(os.path.join(dst, k), 'w').write(text)
            elif 'secret' in v:
                mode = v['secret'].get('defaultMode', 0o644)
                for it in v['secret']['items']:
                    p = os.path.join(dst, it['path'])
                    with open(os.path.join(keydir, it['key'])) as f:
                        open(p, 'w').write(f.read())
                    os.chmod(p, it.get('mode', mode))
    def script(path, argv):
        open(path, 'w').write('exec %s\n' % ' '.join(
            shlex.quote(mp(a)) for a in argv))
    for i, c in enumerate(pod.get('initContainers', [])):
        script(os.path.join(wd, 'init-%d.sh' % i), c['command'] + c.get('args', []))
    c = pod['containers'][0]
    script(os.path.join(wd, 'main.sh'), c['command'] + c.get('args', []))
    for p in ('startup', 'readiness', 'liveness'):
        script(os.path.join(wd, p + '.sh'), c[p + 'Probe']['exec']['command'])
    open(os.path.join(wd, 'grace'), 'w').write(
        '%d\n' % pod['terminationGracePeriodSeconds'])
    open(os.path.join(wd, 'root.path'), 'w').write(root + '\n')
    print(name)
PY
}
