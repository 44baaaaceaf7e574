# vhostd top-level Makefile.
#   make            build everything (runs ./configure first if needed)
#   make run        install deps (root), configure, build, hugepages, start vhostd
#   make test       the same set-up, then every test; ends with "N passed, N failed"
#   make test-sanitize   unit and protocol tests in an ASan+UBSan build (build/san)
#   make install    binaries, headers and scripts/rpc.py under $(PREFIX)

VD_ROOT := $(CURDIR)
include $(VD_ROOT)/mk/common.mk

# Every lib/<name>/Makefile and app/<name>/Makefile (static archives: order does not matter).
LIB_DIRS := $(patsubst lib/%/Makefile,%,$(sort $(wildcard lib/*/Makefile)))
APP_DIRS := $(patsubst app/%/Makefile,%,$(sort $(wildcard app/*/Makefile)))
UT_DIRS := $(patsubst %/Makefile,%,$(shell find test/unit -name Makefile 2>/dev/null | sort))

PREFIX ?= $(if $(CONFIG_PREFIX),$(CONFIG_PREFIX),/usr/local)
DESTDIR ?=

all: apps unittests

mk/config.mk:
	./configure

libs: mk/config.mk
	@set -e; for d in $(LIB_DIRS); do $(MAKE) --no-print-directory -C lib/$$d; done

apps: libs
	@set -e; for d in $(APP_DIRS); do $(MAKE) --no-print-directory -C app/$$d; done

unittests: libs
	@set -e; for d in $(UT_DIRS); do $(MAKE) --no-print-directory -C $$d; done

# Everything a new user needs before building and running.
setup-deps:
	@scripts/pkgdep.sh --if-needed
	@[ -f mk/config.mk ] || ./configure

setup-huge:
	@scripts/setup.sh --quiet || true

run: setup-deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory setup-huge
	@scripts/run.sh

test: setup-deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory setup-huge
	@test/run_tests.sh --build $(BUILD)

test-unit: all
	@test/run_tests.sh --build $(BUILD) --only unit

# Unit and protocol tests again in an ASan+UBSan tree.
SAN_O := build/san
test-sanitize: setup-deps
	@$(MAKE) --no-print-directory O=$(SAN_O) CONFIG_ASAN=y CONFIG_UBSAN=y all
	@test/run_tests.sh --build $(VD_ROOT)/$(SAN_O) --only unit,protocol --sanitize

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/vhostd \
		$(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/vhostd
	install -m 0755 $(BINDIR)/* $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 include/vhostd/*.h $(DESTDIR)$(PREFIX)/include/vhostd/
	install -m 0644 $(LIBDIR)/*.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 scripts/rpc.py $(DESTDIR)$(PREFIX)/bin/vhostd-rpc.py
	install -m 0755 scripts/rpc.py $(DESTDIR)$(PREFIX)/share/vhostd/rpc.py

clean:
	rm -rf build

distclean: clean
	rm -f mk/config.mk

format:
	@scripts/check_format.sh

.PHONY: all libs apps unittests setup-deps setup-huge run test test-unit test-sanitize install \
	clean distclean format
