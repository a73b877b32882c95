# lib-coord.sh: a validator's configuration for tests.  Source after
# t/lib.sh (and t/lib-kafka.sh when Kafka is used).
#
#   coord_conf DIR NAME [PROG...]
#       writes DIR/coord.ini for validator NAME with keys for each PROG
#       (in DIR/keys, mode 0600) and their [trust] lines; prints the path.
#       Add sections by appending to the file; -X bootstrap.servers on the
#       command line points at a broker.
#   coord_trust FROM_INI TO_INI
#       copies FROM's [trust] lines into TO's [trust] (for a second
#       validator trusting the first's services).
KEYGEN=$TOP/keygen/coord-keygen
BUSPROBE=$TOP/t/busprobe/busprobe

coord_conf() {
	_d=$1
	_n=$2
	shift 2
	mkdir -p "$_d/keys"
	chmod 700 "$_d/keys"
	cat >"$_d/coord.ini" <<EOC
[general]
name = $_n
key_dir = $_d/keys
run_dir = $_d/run
heartbeat_interval = 0
EOC
	echo "[trust]" >>"$_d/coord.ini"
	if [ $# -gt 0 ]; then
		"$KEYGEN" -q -f "$_d/coord.ini" "$@" >>"$_d/coord.ini" ||
		    { echo "Bail out! coord-keygen failed"; exit 1; }
	fi
	echo "$_d/coord.ini"
}

coord_trust() {
	sed -n '/^\[trust\]/,/^\[/p' "$1" | grep ' = ' >>"$2"
}
