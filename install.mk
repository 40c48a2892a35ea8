# install.mk: `make install` and `make uninstall`, included by the top Makefile. GNU and Debian
# conventions: PREFIX (default /usr/local), DESTDIR for staging (dh_auto_install sets it), the
# usual directory variables overridable one by one. Nothing is stripped or compressed here
# (dh_strip and dh_compress do that); the kernel is not installed, it is the thing checked.
#
#   make install PREFIX=/usr DESTDIR=/tmp/stage      make uninstall PREFIX=/usr DESTDIR=/tmp/stage
#
# Installed: bin/inspector, lib/klayout/libklayout.so (the engine GDB loads), man1/inspector.1, man7/klayout-gdb.7, share/klayout/gdb/ (layout.gdb
# and the klayout package), share/klayout/inspector.schema.json, share/doc/klayout/,
# share/bash-completion/completions/inspector.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
DOCDIR     ?= $(DATADIR)/doc/klayout
GDBDIR     ?= $(DATADIR)/klayout/gdb
SCHEMADIR  ?= $(DATADIR)/klayout
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
INSTALL    ?= install

GDB_PY     := $(sort $(wildcard gdb-scripts/klayout/*.py) gdb-scripts/klayout/constants.py)
DOC_FILES  := README.md $(wildcard docs/*.md)
MAN_PAGES  := man/inspector.1 man/klayout-gdb.7

.PHONY: install uninstall test-install
install: $(H)/inspector $(H)/libklayout.so gdb-scripts/klayout/constants.py
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(GDBDIR)/klayout $(DESTDIR)$(SCHEMADIR) $(DESTDIR)$(DOCDIR)/docs \
		$(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(H)/inspector $(DESTDIR)$(BINDIR)/inspector
	$(INSTALL) -m 644 man/inspector.1 $(DESTDIR)$(MANDIR)/man1/inspector.1
	$(INSTALL) -m 644 man/klayout-gdb.7 $(DESTDIR)$(MANDIR)/man7/klayout-gdb.7
	$(INSTALL) -m 644 gdb-scripts/layout.gdb $(DESTDIR)$(GDBDIR)/layout.gdb
	$(INSTALL) -m 755 gdb-scripts/kthreads.py $(DESTDIR)$(GDBDIR)/kthreads.py
	$(INSTALL) -m 644 $(GDB_PY) $(DESTDIR)$(GDBDIR)/klayout/
	@# The engine GDB calls, and where it went (gdb-scripts/klayout/libpath.py looks it up).
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/klayout
	$(INSTALL) -m 644 $(H)/libklayout.so $(DESTDIR)$(LIBDIR)/klayout/libklayout.so
	echo 'LIBKLAYOUT = "$(LIBDIR)/klayout/libklayout.so"  # written by make install' \
	  > $(DESTDIR)$(GDBDIR)/klayout/installed.py
	$(INSTALL) -m 644 docs/inspector.schema.json $(DESTDIR)$(SCHEMADIR)/inspector.schema.json
	$(INSTALL) -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(INSTALL) -m 644 $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/docs/
	$(INSTALL) -m 644 tools/inspector.bash-completion $(DESTDIR)$(BASHCOMPDIR)/inspector

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/inspector $(DESTDIR)$(MANDIR)/man1/inspector.1 \
		$(DESTDIR)$(MANDIR)/man7/klayout-gdb.7 $(DESTDIR)$(BASHCOMPDIR)/inspector
	rm -rf $(DESTDIR)$(GDBDIR) $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(SCHEMADIR)/inspector.schema.json $(DESTDIR)$(LIBDIR)/klayout/libklayout.so
	-rmdir $(DESTDIR)$(SCHEMADIR) $(DESTDIR)$(LIBDIR)/klayout 2>/dev/null

# Installs into a temporary DESTDIR and runs what was installed from outside the tree.
test-install: host | deps
	$(PYTHON) tests/install/test_install.py
