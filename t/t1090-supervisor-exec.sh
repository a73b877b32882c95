#!/bin/sh
# supervisor: how a service is run: argv split without a shell (quotes,
# escapes), shell = yes, env, cwd, user, stdin from /dev/null, log = prefix,
# stop_signal, and a command that cannot be run.
. t/lib.sh
. t/golden/supervisor/lib.sh
plan 14

mkdir "$T/wd"
cat >"$T/args.sh" <<'EOF2'
#!/bin/sh
for a in "$@"; do printf '[%s]' "$a"; done >args.out
printf '%s|%s|%s' "$GREETING" "$EMPTY" "$HOME" >env.out
pwd >cwd.out
cat >stdin.out
echo >&3
exec sleep 1000
EOF2
chmod +x "$T/args.sh"
user=
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && user=nobody
cat >"$T/run.ini" <<EOF2
[args]
command = $T/args.sh one "two words" 'single "quoted"' back\\ slash "\\\$HOME" ''
cwd = $T/wd
env = GREETING="hello world" EMPTY= HOME=/nowhere
ready = fd 3

[shell]
command = echo \$((6 * 7)) > shell.out; exec sleep 1000
shell = yes
cwd = $T

[prefix]
command = sh -c 'echo to stdout; echo to stderr >&2; printf "no newline"; exec sleep 1000'
log = prefix

[int]
command = sh -c 'trap "echo got INT > int.out; exit 0" INT; while :; do sleep 0.05; done'
cwd = $T
stop_signal = INT

[nosuch]
command = /nonexistent/program
restart = never
EOF2
if [ -n "$user" ]; then
	chmod 777 "$T"
	cat >>"$T/run.ini" <<EOF2

[user]
command = sh -c 'id -un > user.out; exec sleep 1000'
cwd = $T
user = $user
EOF2
fi
sv_start "$T/run.ini"
wait_for 10 sv_is args 2 up
ok $? "args: up"
is "$(cat "$T/wd/args.out")" '[one][two words][single "quoted"][back slash][$HOME][]' \
	"argv split like a shell would, with no shell: quotes, escapes, empty word"
is "$(cat "$T/wd/env.out")" "hello world||/nowhere" "env: set, overridden, empty"
is "$(cat "$T/wd/cwd.out")" "$T/wd" "cwd"
is "$(wc -c <"$T/wd/stdin.out" | tr -d ' ')" 0 "stdin is /dev/null"

wait_for 5 test -s "$T/shell.out"
is "$(cat "$T/shell.out")" 42 "shell = yes: runs under /bin/sh -c"

wait_for 5 logged "^prefix: to stdout$"
ok $? "log = prefix: stdout lines prefixed with the service name"
logged "^prefix: to stderr$"
ok $? "log = prefix: stderr lines too"

wait_for 5 sv_is nosuch 2 failed
ok $? "nosuch: cannot be run: failed (restart = never)"
is "$(sv_field nosuch 6)" exit:100 \
    "nosuch: exit 100 (permanent: no restart brings a missing program)"
logged "supervisor: warning: nosuch: unable to run /nonexistent/program: No such file"
ok $? "nosuch: the exec failure is logged"

if [ -n "$user" ]; then
	wait_for 5 test -s "$T/user.out"
	is "$(cat "$T/user.out")" "$user" "user = $user: runs as that user"
else
	skip "user = : needs root and a nobody user"
fi

wait_for 5 sv_is int 2 up
sv_stop
is "$SV_RC" 0 "SIGTERM: exit 0"
is "$(cat "$T/int.out" 2>/dev/null)" "got INT" "stop_signal = INT: the service got SIGINT"
done_testing
