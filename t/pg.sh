#!/bin/sh
# pg.sh: a private PostgreSQL server for the tests, from the Debian
# postgresql package's server binaries.
#
#   t/pg.sh start DIR     initdb (once) and start; prints the conninfo
#   t/pg.sh stop DIR      fast shutdown
#   t/pg.sh restart DIR   stop, then start
#   t/pg.sh kill DIR      SIGKILL the postmaster (a crash)
#
# Sourced (. t/pg.sh) it defines pg_start, pg_stop, pg_restart, pg_kill,
# pg_available, pg_psql DIR [-d DB] ARGS.  The server listens only on a Unix socket
# in DIR/s (or a private directory under /tmp when that path would be too
# long for a socket), port 5432 there, trust authentication, user and
# database postgres.  As root, initdb and the server run as the postgres
# user (initdb refuses root): DIR is handed to that user and the
# directories above it are made traversable (o+x) where they are not.
# DIR/conninfo holds the conninfo, DIR/data the cluster, DIR/log its log.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
	sort -V | tail -n 1)}

_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_available: true when a server can be started here.
pg_available() {
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
		return 1
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 && command -v runuser >/dev/null ||
			return 1
	fi
	return 0
}

# Let the postgres user reach DIR: o+x on each ancestor lacking it.
_pg_reach() {
	_d=$1
	while [ "$_d" != / ] && [ -n "$_d" ]; do
		if ! runuser -u postgres -- test -x "$_d" 2>/dev/null; then
			chmod o+x "$_d" || return 1
		fi
		_d=$(dirname "$_d")
	done
}

pg_start() {
	_dir=$1
	pg_available || { echo "pg.sh: no PostgreSQL server binaries" \
		"(Debian package postgresql) or no postgres user" >&2
		return 1; }
	mkdir -p "$_dir" || return 1
	_dir=$(cd "$_dir" && pwd)
	if [ -f "$_dir/sockdir" ]; then
		_sock=$(cat "$_dir/sockdir")
	elif [ ${#_dir} -lt 80 ]; then
		_sock=$_dir/s
	else
		_sock=$(mktemp -d /tmp/pgsock.XXXXXX) || return 1
	fi
	mkdir -p "$_sock"
	echo "$_sock" > "$_dir/sockdir"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$_dir" "$_sock" || return 1
		_pg_reach "$_dir" || return 1
		_pg_reach "$_sock" || return 1
	fi
	if [ ! -f "$_dir/data/PG_VERSION" ]; then
		_pg_as "$PG_BIN/initdb" -D "$_dir/data" -A trust -U postgres \
			-E UTF8 --locale=C --no-sync >"$_dir/initdb.log" 2>&1 || {
			cat "$_dir/initdb.log" >&2
			return 1
		}
	fi
	_pg_as "$PG_BIN/pg_ctl" -D "$_dir/data" -l "$_dir/log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$_sock' -c port=5432" \
		start >/dev/null || {
		tail -n 20 "$_dir/log" >&2
		return 1
	}
	_i=0
	until "$PG_BIN/pg_isready" -q -h "$_sock" -p 5432 -U postgres; do
		_i=$((_i + 1))
		[ $_i -gt 600 ] && { echo "pg.sh: server not ready" >&2
			return 1; }
		sleep 0.05
	done
	echo "host=$_sock port=5432 user=postgres dbname=postgres" \
		> "$_dir/conninfo"
	cat "$_dir/conninfo"
}

pg_stop() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	_pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null
	_s=$(cat "$1/sockdir" 2>/dev/null)
	case "$_s" in /tmp/pgsock.*) rmdir "$_s" 2>/dev/null ;; esac
	return 0
}

pg_restart() {
	_pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop \
		>/dev/null || return 1
	pg_start "$1" >/dev/null
}

pg_kill() {
	_p=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null) || return 1
	kill -KILL "$_p"
	while kill -0 "$_p" 2>/dev/null; do sleep 0.05; done
}

# pg_psql DIR [-d DB] ARGS...: psql, unaligned, tuples only, stop on error.
pg_psql() {
	_c=$(cat "$1/conninfo")
	shift
	if [ "${1:-}" = -d ]; then
		_c=$(printf '%s' "$_c" | sed "s/dbname=[^ ]*/dbname=$2/")
		shift 2
	fi
	PGOPTIONS="-c client_min_messages=warning" \
		psql -X -q -A -t -v ON_ERROR_STOP=1 "$_c" "$@"
}

case "$0" in
*pg.sh)
	set -u
	[ $# -eq 2 ] || { echo "usage: pg.sh start|stop|restart|kill DIR" >&2
		exit 100; }
	case "$1" in
	start)		pg_start "$2" || exit 111 ;;
	stop)		pg_stop "$2" ;;
	restart)	pg_restart "$2" || exit 111 ;;
	kill)		pg_kill "$2" ;;
	*)		echo "usage: pg.sh start|stop|restart|kill DIR" >&2
			exit 100 ;;
	esac
	;;
esac
