# setup.sh: make polkadot-js available in t/scale (sourced by tests after
# t/lib.sh).  Installs from the committed package-lock.json with `npm ci`
# when node_modules is missing or older than the lock file; a lock keeps
# tests run in parallel from installing at the same time.
need_cmd node "polkadot-js reference"
need_cmd npm "polkadot-js reference"
_scale_install() {
	if [ ! -d "$TOP/t/scale/node_modules/@polkadot/types-support" ] ||
	    [ "$TOP/t/scale/package-lock.json" -nt "$TOP/t/scale/node_modules" ]
	then
		(cd "$TOP/t/scale" && npm ci --no-audit --no-fund) \
		    >"$T/npm.log" 2>&1 || return 1
		touch "$TOP/t/scale/node_modules"
	fi
}
if command -v flock >/dev/null 2>&1; then
	exec 9>"$TOP/t/scale/.npm.lock"
	flock 9
	_scale_install; _scale_rc=$?
	flock -u 9
	exec 9>&-
else
	_scale_install; _scale_rc=$?
fi
[ $_scale_rc = 0 ] || skip_all "npm ci failed in t/scale: $(tail -3 "$T/npm.log")"
