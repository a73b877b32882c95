# ini2man.awk: conf/coordinator.ini, the reference file (every key with its
# default and a comment; t0110 checks it against the schema), as the man
# page coordinator.ini(5).  make man-conf writes conf/coordinator.ini.5;
# t0111 checks that the page is this script's output and names every key.
# make install puts SYSCONFDIR in place of @SYSCONFDIR@.
#
# Input: a leading comment block (the page's DESCRIPTION); then per section
# a "[name]" line (or ";[validator bob]" for a named example) and comment
# lines ("; text") before commented-out keys (";key = default").
function esc(s) {
	gsub(/\\/, "\\e", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}
function flush_text(   i) {
	for (i = 1; i <= ntext; i++)
		print esc(text[i])
	ntext = 0
}
function open_list() {
	if (!inlist) {
		print ".Bl -tag -width Ds"
		inlist = 1
	}
}
function close_list() {
	if (inlist) {
		print ".El"
		inlist = 0
	}
}
BEGIN {
	print ".\\\" Generated from conf/coordinator.ini by conf/ini2man.awk:"
	print ".\\\" edit those, then run make man-conf."
	print ".Dd " date
	print ".Dt COORDINATOR.INI 5"
	print ".Os"
	print ".Sh NAME"
	print ".Nm coordinator.ini"
	print ".Nd configuration file of the Serai coordinator"
	print ".Sh SYNOPSIS"
	print ".Pa @SYSCONFDIR@/coordinator.ini"
	print ".Sh DESCRIPTION"
	state = "head"
}
# The first comment lines: the description, paragraph per blank comment.
state == "head" && /^;/ {
	l = $0
	sub(/^; ?/, "", l)
	if (NR == 1) {
		sub(/^coordinator\.ini: the/, "The", l)
	}
	if (l == "") {
		flush_text()
		print ".Pp"
	} else
		text[++ntext] = l
	next
}
state == "head" && /^$/ {
	flush_text()
	print ".Sh SECTIONS AND KEYS"
	print "Each key is shown with its built-in default."
	state = "body"
	next
}
state == "body" && /^\[[a-z_]+\]$/ {
	close_list()
	flush_text()
	s = $0
	print ".Ss " s
	section = substr(s, 2, length(s) - 2)
	next
}
state == "body" && /^;\[[a-z_]+ [a-z_]+\]$/ {
	# a named section's example header: the comment before it describes
	# the section; its keys follow
	close_list()
	s = substr($0, 2)
	sub(/ [a-z_]+\]$/, " NAME]", s)
	print ".Ss " s
	flush_text()
	next
}
state == "body" && /^;[a-z0-9_.]+ =/ {
	l = substr($0, 2)
	k = l
	sub(/ =.*/, "", k)
	v = l
	sub(/^[^=]*= ?/, "", v)
	open_list()
	if (v == "")
		print ".It Cm " k " No = (empty)"
	else
		print ".It Cm " k " No = Li " esc(v)
	flush_text()
	next
}
state == "body" && /^;/ {
	l = $0
	sub(/^; ?/, "", l)
	text[++ntext] = l
	next
}
state == "body" && /^$/ {
	# a blank line ends a block: comment lines after its last key are a
	# paragraph of their own
	if (inlist && ntext > 0) {
		close_list()
		flush_text()
	}
	next
}
END {
	close_list()
	flush_text()
	print ".Sh FILES"
	print ".Bl -tag -width Ds"
	print ".It Pa @SYSCONFDIR@/coordinator.ini"
	print "The configuration, given to every binary with"
	print ".Fl f ."
	print "The reference file, every key commented out at its default, is"
	print "installed there by"
	print ".Ql make install"
	print "when no file of that name exists."
	print ".El"
	print ".Sh SEE ALSO"
	print ".Xr runfile 5 ,"
	print ".Xr archiver 8 ,"
	print ".Xr connector 8 ,"
	print ".Xr coord-keygen 8 ,"
	print ".Xr observer 8 ,"
	print ".Xr signer 8 ,"
	print ".Xr supervisor 8"
}
