# conf/module.mk: the reference configuration and its man page.
MAN += conf/coordinator.ini.5

# coordinator.ini(5) is generated from the reference file: after editing
# conf/coordinator.ini, run make man-conf (t0111 fails until you do).
man-conf:
	awk -v date="$$(date -u '+%B %-d, %Y')" -f conf/ini2man.awk \
	    conf/coordinator.ini >conf/coordinator.ini.5
.PHONY: man-conf
