# The appc toolkit: one non-recursive Makefile.
#   make                         build every tool
#   make check                   unit + end-to-end tests (TAP, driven by prove)
#   make SANITIZE=address,undefined check
#   make deps                    install the Debian packages needed to build and test
#   make install PREFIX=/usr DESTDIR=...
#   make bench                   performance measurements (see bench/README.md)
#   make demo                    build the example image with our own tools and validate it

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
CC ?= cc
PKG_CONFIG ?= pkg-config
PROVE ?= prove

PKGS := libarchive zlib liblzma libzstd jansson libcurl gpgme libcrypto libdeflate
# ISA-L inflates foreign gzip about twice as fast as zlib; used when present.
ifeq ($(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo y),y)
PKGS += libisal
ISAL_CFLAGS := -DAC_HAVE_ISAL
endif
# libcurl, gpgme, libarchive and libcrypto are opened with dlopen() on
# first use (common/lazy-*.c): mapping them and their dependencies (~25 for
# curl and gpgme; libxml2, ICU, libstdc++, nettle... for libarchive) made up
# most of every command's start-up (libarchive and libcrypto alone: 2 ms of
# 3; a label edit or a repeat run of a stored image needs none of them).
# Their headers are still needed; the runtime packages libcurl4, libgpgme11,
# libarchive13 and libssl3 come with the -dev packages below.
# Sanitized builds still link them: GCC 12's LeakSanitizer crashes at exit
# on the dynamic TLS of a dlopen()ed libgpgme ("Tracer caught signal 11");
# the shims then find the libraries already loaded.
LAZY_PKGS := $(if $(SANITIZE),,libcurl gpgme libarchive libcrypto)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(ISAL_CFLAGS)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -lbz2 -lpthread -ldl

OPT ?= -O2
CFLAGS ?= $(OPT) -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wformat=2 -Wvla -Wundef -Werror=implicit-function-declaration
ifdef WERROR
WARN += -Werror
endif
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -fstack-protector-strong \
              $(WARN) -Icommon/include $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
else
ALL_CFLAGS += -D_FORTIFY_SOURCE=2
endif

# Objects of sanitized and plain builds must not mix.
BUILD := build/$(if $(SANITIZE),san,plain)

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON := $(BUILD)/libcommon.a

UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

# Each tool is the sources of one directory linked with libcommon; a tool
# without a main.c yet is simply not built.
TOOL_DIRS := actool acbuild docker2aci runner
tool_name = $(if $(filter runner,$(1)),acrun,$(1))
TOOLS := $(foreach d,$(TOOL_DIRS),$(if $(wildcard $(d)/main.c),$(BUILD)/bin/$(call tool_name,$(d))))
BINLINKS := $(patsubst $(BUILD)/bin/%,bin/%,$(TOOLS))

# Man pages and completions come from the tools themselves ("TOOL __doc
# man|bash|zsh"), from the tables their --help prints.
DOC_TOOLS := $(filter $(notdir $(TOOLS)),$(foreach d,$(TOOL_DIRS),$(if $(shell grep -ls __doc $(d)/*.c 2>/dev/null),$(call tool_name,$(d)))))
MANPAGES := $(patsubst %,$(BUILD)/man/%.1,$(DOC_TOOLS))
BASHCOMP := $(patsubst %,$(BUILD)/completion/bash/%,$(DOC_TOOLS))
ZSHCOMP := $(patsubst %,$(BUILD)/completion/zsh/_%,$(DOC_TOOLS))
DOCS := $(MANPAGES) $(BASHCOMP) $(ZSHCOMP)

all: $(BUILD)/tests/unit/run $(BINLINKS) $(DOCS)

$(BUILD)/man/%.1: $(BUILD)/bin/%
	@mkdir -p $(dir $@)
	@echo '  DOC $@'; $< __doc man > $@.tmp && mv $@.tmp $@
$(BUILD)/completion/bash/%: $(BUILD)/bin/%
	@mkdir -p $(dir $@)
	@$< __doc bash > $@.tmp && mv $@.tmp $@
$(BUILD)/completion/zsh/_%: $(BUILD)/bin/%
	@mkdir -p $(dir $@)
	@$< __doc zsh > $@.tmp && mv $@.tmp $@

# Quiet by default; "make V=1" shows the commands.
ifndef V
QUIET_CC = @echo '   CC $@';
QUIET_LINK = @echo ' LINK $@';
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@rm -f $@
	@ar rcs $@ $^

# The runner library (runner/ without its main.c) runs images for acrun and
# for "acbuild run".
RUNNER_LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out runner/main.c,$(wildcard runner/*.c)))
LIBRUNNER := $(BUILD)/librunner.a
$(LIBRUNNER): $(RUNNER_LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^
acbuild_LIBS := $(if $(RUNNER_LIB_OBJ),$(LIBRUNNER))
runner_LIBS := $(if $(RUNNER_LIB_OBJ),$(LIBRUNNER))
ACBUILD_CFLAGS := -Irunner

define tool_rule
$(BUILD)/bin/$(call tool_name,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(if $(filter runner,$(1)),runner/%,),$(wildcard $(1)/*.c)) $(if $(filter runner,$(1)),runner/main.c)) $($(1)_LIBS) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(QUIET_LINK)$$(CC) $$(ALL_CFLAGS) -o $$@ $$(filter %.o,$$^) $$($(1)_LIBS) $$(LIBCOMMON) $$(ALL_LDFLAGS) $$(PKG_LIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call tool_rule,$(d))))
$(BUILD)/acbuild/%.o: ALL_CFLAGS += $(ACBUILD_CFLAGS)

# bin/ always points at the binaries of the last build flavour, so the tests
# find them in one place.
bin/%: $(BUILD)/bin/%
	@mkdir -p bin
	@ln -sf ../$< $@

# C unit tests: DEFINE_TEST(name) lines are collected into list.h.
$(BUILD)/tests/unit/list.h: $(filter-out tests/unit/main.c,$(UNIT_SRC))
	@mkdir -p $(dir $@)
	@cat $^ /dev/null | grep -h '^DEFINE_TEST(' | sort > $@.tmp && mv $@.tmp $@
$(BUILD)/tests/unit/main.o: ALL_CFLAGS += -I$(BUILD)/tests/unit
$(BUILD)/tests/unit/main.o: $(BUILD)/tests/unit/list.h
$(BUILD)/tests/unit/run: $(UNIT_OBJ) $(LIBCOMMON)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $(UNIT_OBJ) $(LIBCOMMON) $(ALL_LDFLAGS) $(PKG_LIBS)

E2E_TESTS := $(sort $(wildcard tests/e2e/t[0-9]*.sh))
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

check: deps-if-missing
	@$(MAKE) --no-print-directory all
	$(SAN_ENV) TEST_BUILD=$(BUILD) $(PROVE) --exec tests/run-test.sh $(if $(V),-v) \
		$(BUILD)/tests/unit/run $(E2E_TESTS)

check-unit: all
	$(SAN_ENV) $(BUILD)/tests/unit/run

check-e2e: all
	$(SAN_ENV) $(PROVE) --exec tests/run-test.sh $(if $(V),-v) $(E2E_TESTS)

# clang refuses what gcc lets through silently: a goto that jumps over a
# variable with a cleanup attribute (its cleanup would free garbage).
ALL_SRC = $(wildcard common/*.c $(addsuffix /*.c,$(TOOL_DIRS)) tests/unit/*.c)
lint: $(BUILD)/tests/unit/list.h
	@command -v clang >/dev/null || { echo "lint needs clang (apt-get install clang)"; exit 1; }
	@fail=0; for f in $(ALL_SRC); do \
		clang -std=gnu11 -D_GNU_SOURCE -Icommon/include -Irunner -I$(BUILD)/tests/unit $(PKG_CFLAGS) \
			-fsyntax-only -Wno-everything $$f || fail=1; \
	done; [ $$fail = 0 ] && echo "lint: $(words $(ALL_SRC)) files clean"

# Debian packages needed to build and to run the tests.
DEB_BUILD := build-essential pkg-config libarchive-dev zlib1g-dev liblzma-dev libbz2-dev \
             libjansson-dev libcurl4-openssl-dev libgpgme-dev libssl-dev libdeflate-dev libisal-dev libzstd-dev
DEB_TEST := perl xz-utils bzip2 gzip tar attr libarchive-tools python3 zstd nginx-light openssl gnupg gpg-agent busybox-static docker-registry skopeo apache2-utils groff-base
deps:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_BUILD) $(DEB_TEST); \
	else \
		echo "run as root: apt-get install -y $(DEB_BUILD) $(DEB_TEST)"; \
	fi

# Installs the missing packages (as root) before building and testing, so
# that "make check" works on a fresh machine; quick when all are there.
deps-if-missing:
	@missing=$$(dpkg-query -W -f='$${Package} $${Status}\n' $(DEB_BUILD) $(DEB_TEST) 2>&1 | \
		grep -v ' installed$$' | sed 's/^dpkg-query: no packages found matching //; s/ .*//'); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing missing packages:" $$missing; \
			$(MAKE) --no-print-directory deps; \
		else \
			echo "missing Debian packages:" $$missing; echo "run: sudo make deps"; exit 1; \
		fi; \
	fi

demo: all
	examples/hello/demo.sh

# Every example workflow, into build/examples/ (the test suite runs them too).
examples: all
	@mkdir -p $(BUILD)/examples
	cd $(BUILD)/examples && cc -static -Os -o hello $(CURDIR)/examples/hello/hello.c && \
		PATH=$(CURDIR)/bin:$$PATH $(CURDIR)/examples/hello/build.sh ./hello hello.aci
	cd $(BUILD)/examples && PATH=$(CURDIR)/bin:$$PATH $(CURDIR)/examples/webserver/build.sh webserver.aci
	cd $(BUILD)/examples && PATH=$(CURDIR)/bin:$$PATH $(CURDIR)/examples/convert/convert.sh convert
	cd $(BUILD)/examples && PATH=$(CURDIR)/bin:$$PATH $(CURDIR)/examples/ci/build-and-check.sh ./hello ci
	if [ "$$(id -u)" = 0 ]; then cd $(BUILD)/examples && PATH=$(CURDIR)/bin:$$PATH $(CURDIR)/examples/dependency/build.sh dependency; fi

bench: all
	bench/run.sh

MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions

install: $(TOOLS) $(DOCS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	$(if $(MANPAGES),install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(BASHCOMP),install -m 0644 $(BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/)
	$(if $(ZSHCOMP),install -m 0644 $(ZSHCOMP) $(DESTDIR)$(ZSHCOMPDIR)/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(BASHCOMP)))
	rm -f $(addprefix $(DESTDIR)$(ZSHCOMPDIR)/,$(notdir $(ZSHCOMP)))

clean:
	rm -rf build bin

.PHONY: all examples lint deps-if-missing check check-unit check-e2e deps demo bench install uninstall clean
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name "*.d" 2>/dev/null)
include tests/fuzz/fuzz.mk
