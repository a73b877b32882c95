# setup.sh: make polkadot-js available in t/scale (sourced by tests after
# t/lib.sh).  Installs from the committed package-lock.json with `npm ci`
# when node_modules is missing or older than the lock file.
need_cmd node "polkadot-js reference"
need_cmd npm "polkadot-js reference"
if [ ! -d "$TOP/t/scale/node_modules/@polkadot/types-support" ] ||
    [ "$TOP/t/scale/package-lock.json" -nt "$TOP/t/scale/node_modules" ]; then
	(cd "$TOP/t/scale" && npm ci --no-audit --no-fund >"$T/npm.log" 2>&1) ||
	    skip_all "npm ci failed in t/scale: $(tail -3 "$T/npm.log")"
	touch "$TOP/t/scale/node_modules"
fi
