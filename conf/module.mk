# conf/module.mk: the reference configuration and its man page.
MAN += conf/coordinator.ini.5

# coordinator.ini(5) is generated from the reference file: after editing
# conf/coordinator.ini, run make man-conf (t0111 fails until you do).
man-conf:
	awk -v date="$$(date -u '+%B %-d, %Y')" -f conf/ini2man.awk \
	    conf/coordinator.ini >conf/coordinator.ini.5
.PHONY: man-conf

# make install also puts the example runfile (conf/demo.run, the four
# services under supervisor(8)) in SYSCONFDIR as coordinator.run, naming
# SYSCONFDIR's coordinator.ini, unless the operator has one there.
install: install-runfile
install-runfile:
	install -d $(DESTDIR)$(SYSCONFDIR)
	[ -e $(DESTDIR)$(SYSCONFDIR)/coordinator.run ] || { \
	    sed 's|/etc/serai-coordinator|$(SYSCONFDIR)|g' conf/demo.run \
	    >$(DESTDIR)$(SYSCONFDIR)/coordinator.run && \
	    chmod 0644 $(DESTDIR)$(SYSCONFDIR)/coordinator.run; }
.PHONY: install-runfile
