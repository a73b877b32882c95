# lib.sh: helpers for the supervisor's process tests (t/t1*.sh), sourced
# after t/lib.sh.
#
#   sv_start RUNFILE [OPTION...]   run the supervisor in the background
#                                  ($SV_PID), stderr to $T/log, run dir $T/run
#   sv_status                      supervisor -s
#   sv_field NAME COLUMN           one column of -s for one service: 2 state,
#                                  3 pid, 4 uptime, 5 restarts, 6 last status
#   sv_is NAME COLUMN VALUE        true when that column has that value
#   sv_pid_changed NAME OLDPID     running with another pid than OLDPID
#   sv_stop                        SIGTERM; wait; $SV_RC is its exit code
#   logged REGEX                   the supervisor's log matches
#   lines FILE                     number of lines in FILE (0 if none)
#   lines_ge FILE N                FILE has at least N lines
#   alive PID                      the process exists and is no zombie
SV=${SUPERVISOR:-$TOP/supervisor/supervisor}
[ -x "$SV" ] || skip_all "supervisor/supervisor not built (make)"

sv_start() {
	_sv_rf=$1
	shift
	"$SV" -r "$T/run" "$@" "$_sv_rf" 2>>"$T/log" &
	SV_PID=$!
	track_pid $SV_PID
}

sv_status() { "$SV" -r "$T/run" -s; }

sv_field() {
	sv_status 2>/dev/null | awk -v n="$1" -v c="$2" '$1 == n { print $c }'
}

sv_is() { [ "$(sv_field "$1" "$2")" = "$3" ]; }

sv_pid_changed() {
	_p=$(sv_field "$1" 3)
	[ -n "$_p" ] && [ "$_p" != - ] && [ "$_p" != "$2" ]
}

sv_stop() {
	kill -TERM "$SV_PID"
	wait "$SV_PID"
	SV_RC=$?
}

logged() { grep -Eq -- "$1" "$T/log"; }

lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }

alive() {
	_st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $_st in Z*) return 1 ;; esac
	return 0
}
