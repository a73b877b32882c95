# lib-archiver.sh: helpers for the archiver's shell tests (t/t5*.sh).
# Source it after t/lib.sh:
#
#   arch_require          skip (fail in CI) without PostgreSQL, jq, python3
#   arch_pg_up            start a private PostgreSQL in $T/pg (once)
#   arch_setup NAME BACKEND [KEYFILE]
#                         a fresh store: $T/NAME.ini (file store in
#                         $T/NAME.store, or a new database NAME), key file
#                         $T/key (made once) unless another is given
#   arch_gen N MARKER [FIRST]
#                         N records as import JSON Lines, in store order,
#                         bodies "MARKER <i> ..." (and, from 0, 2 kv entries)
#   arch NAME ARGS...     run the archiver on $T/NAME.ini, stderr to
#                         $T/NAME.log
#   arch_export NAME      export without key ids (comparable across keys)
. t/pg.sh

A=$TOP/archiver/archiver

arch_require() {
	need_cmd jq "the archiver tests compare JSON Lines with jq"
	need_cmd python3 "the archiver tests generate records with python3"
	need_cmd psql "Debian package postgresql-client"
	pg_available || skip_all "no PostgreSQL server (Debian package" \
		"postgresql) or no postgres user"
	[ -x "$A" ] || skip_all "archiver/archiver is not built"
}

arch_pg_up() {
	[ -f "$T/pg/conninfo" ] && return 0
	pg_start "$T/pg" >/dev/null || { echo "# pg.sh start failed" >&2
		return 1; }
	track_pid "$(head -n 1 "$T/pg/data/postmaster.pid")"
}

arch_setup() {
	_name=$1 _backend=$2 _key=${3:-$T/key}
	[ -f "$T/key" ] || "$A" -x keygen "$T/key" 2>/dev/null
	if [ "$_backend" = postgres ]; then
		arch_pg_up || return 1
		pg_psql "$T/pg" -c "DROP DATABASE IF EXISTS \"$_name\"" \
			-c "CREATE DATABASE \"$_name\"" >/dev/null || return 1
		_ci="$(sed "s/dbname=postgres/dbname=$_name/" "$T/pg/conninfo")"
	else
		rm -rf "$T/$_name.store"
		_ci=
	fi
	cat > "$T/$_name.ini" <<EOT
[general]
backup_dir = $T/$_name.backups
[archive]
backend = $_backend
path = $T/$_name.store
conninfo = $_ci
key_file = $_key
batch_size = ${ARCH_BATCH:-100}
retry_timeout = 1m
EOT
	: > "$T/$_name.log"
}

arch() {
	_n=$1
	shift
	"$A" -f "$T/$_n.ini" "$@" 2>>"$T/$_n.log"
}

arch_export() {
	arch "$1" -x export | jq -c 'del(.key_id)'
}

arch_gen() {
	python3 - "$@" <<'PYEOF'
import base64, hashlib, json, sys
n, marker = int(sys.argv[1]), sys.argv[2]
first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
topics = ["chain-health", "serai-observation", "signing"]
recs = []
for i in range(first, first + n):
    t = topics[i % 3]
    body = ("%s %d " % (marker, i)).encode() + bytes((i * 7 + j) % 256
                                                  for j in range(i % 200))
    recs.append({"topic": t, "partition": i % 2, "offset": i,
                 "type": i % 40,
                 "intent": hashlib.sha256(b"%d" % i).hexdigest(),
                 "sender": "validator.%s" % ["observer", "signer"][i % 2],
                 "time": 1700000000000 + i,
                 "body": base64.b64encode(body).decode()})
recs.sort(key=lambda r: (r["topic"].encode(), r["partition"], r["offset"]))
for r in recs:
    print(json.dumps(r, separators=(",", ":")))
if first == 0:
    for k in ("data/alpha", "data/beta"):
        v = ("%s %s" % (marker, k)).encode()
        print(json.dumps({"kv": k, "time": 1700000000000,
                          "value": base64.b64encode(v).decode()},
                         separators=(",", ":")))
PYEOF
}

# oneline CMD...: CMD's stderr on one line, then " rc=STATUS" (stdout dropped).
oneline() {
	{ "$@" 2>&1 >/dev/null; echo " rc=$?"; } | tr '\n' ' '
}

# arch_pg_start_again, arch_pg_restart: the server back up, its new
# postmaster tracked for the cleanup at exit.
arch_pg_start_again() {
	pg_start "$T/pg" >/dev/null || return 1
	track_pid "$(head -n 1 "$T/pg/data/postmaster.pid")"
}

arch_pg_restart() {
	pg_stop "$T/pg" && arch_pg_start_again
}

# arch_count NAME: the number of records, as a bare number.
arch_count() {
	arch "$1" -x count | jq .records
}
