# Makefile: rpn, one non-recursive make for the agent, the CLIs, tests, fuzzers, demo and benchmarks.
#
#   make                 build rpnd, rpnd-engine, rpn and rpnctl into $(BUILD)/
#   make check           install missing Debian packages, then run every test
#   make demo            a three-site mesh in network namespaces, with real traffic
#   make unit            unit tests only (fast)
#   make bench           benchmarks side by side with their peers (tests/bench/)
#   make sim             the simulator (tests/sim/) and its small asserted runs
#   make fuzz-long       every fuzzer 10 million runs from its kept corpus, then coverage
#   make SANITIZE=address,undefined unit    the same under ASan+UBSan
#   make install PREFIX=/usr DESTDIR=...
#   V=1 shows full commands; DEVELOPER=1 turns warnings into errors.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
WEBDIR	?= $(PREFIX)/share/rpn/web
UNITDIR	?= /lib/systemd/system

SANITIZE ?=
BUILD	?= build$(if $(SANITIZE),-san)

CFLAGS	?= -O2 -g
WARN	:= -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes \
	   -Wmissing-declarations -Wstrict-prototypes -Wsign-compare -Wvla \
	   -Wwrite-strings -Wformat=2 -Wformat-security \
	   -Wdeclaration-after-statement -fno-common
ifeq ($(DEVELOPER),1)
WARN	+= -Werror
endif
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Hardening for every program we link (not the fuzzers, not refuse.so).
# _FORTIFY_SOURCE does nothing without optimisation (glibc warns), so it
# follows -O in CFLAGS; under the sanitizers it is left out, because its
# checked copies run inside glibc where ASan no longer sees the accesses.
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),)
ifneq ($(filter -O1 -O2 -O3 -Os -Og -Ofast,$(CFLAGS)),)
HARDEN_CFLAGS  += -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
endif

# Evaluated when a recipe runs, so "make check" can install the packages first.
# Each of rpnd's two programs links only its own room's libraries (the
# parent: the kernel's tables; the engine: the event loop and the console),
# so neither process maps the other's (docs/design.md, "Processes").
PARENT_PKGS := libsodium msgpack libnftnl libmnl
ENGINE_PKGS := libuv libsodium msgpack libmicrohttpd gnutls jansson
NODE_PKGS := $(sort $(PARENT_PKGS) $(ENGINE_PKGS))
CTL_PKGS  := libsodium msgpack
pkg_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell pkg-config --libs $(1) 2>/dev/null) -lm

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. $(WARN) $(HARDEN_CFLAGS) $(CFLAGS) \
	     $(SANFLAGS) -MD -MP $(call pkg_cflags,$(NODE_PKGS))
ALL_LDFLAGS = $(HARDEN_LDFLAGS) $(LDFLAGS) $(SANFLAGS)

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

# One room per process (docs/design.md, "Rooms"), one library per room;
# make check-layers checks the boundaries on the objects.
PROTO_SRC  := $(sort $(wildcard proto/*.c))
CORE_SRC   := $(sort $(wildcard node/core/*.c))
PARENT_SRC := $(filter-out node/parent/rpnd.c,$(sort $(wildcard node/parent/*.c)))
ENGINE_SRC := $(filter-out node/engine/rpnd-engine.c,$(sort $(wildcard node/engine/*.c)))
CTL_SRC   := ctl/client.c ctl/output.c ctl/cli.c ctl/operator.c
UNIT_SRC  := $(wildcard tests/unit/test-*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PROTO_LIB  := $(BUILD)/libproto.a
CORE_LIB   := $(BUILD)/libcore.a
PARENT_LIB := $(BUILD)/libparent.a
ENGINE_LIB := $(BUILD)/libengine.a
CTL_LIB    := $(BUILD)/libctl.a

BINS := $(BUILD)/rpnd $(BUILD)/rpnd-engine $(BUILD)/rpn $(BUILD)/rpnctl
TOOLS := $(BUILD)/rpn-tool $(BUILD)/refuse.so
UNIT := $(BUILD)/unit-tests

all: $(BINS) $(TOOLS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(PROTO_LIB): $(call obj,$(PROTO_SRC))
$(CORE_LIB): $(call obj,$(CORE_SRC))
$(PARENT_LIB): $(call obj,$(PARENT_SRC))
$(ENGINE_LIB): $(call obj,$(ENGINE_SRC))
$(CTL_LIB): $(call obj,$(CTL_SRC))
$(PROTO_LIB) $(CORE_LIB) $(PARENT_LIB) $(ENGINE_LIB) $(CTL_LIB):
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/rpnd: $(call obj,node/parent/rpnd.c) $(PARENT_LIB) $(CORE_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PARENT_PKGS))

$(BUILD)/rpnd-engine: $(call obj,node/engine/rpnd-engine.c) $(ENGINE_LIB) $(CORE_LIB) \
	    $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(ENGINE_PKGS))

$(BUILD)/rpn: $(call obj,ctl/rpn.c) $(CTL_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(CTL_PKGS))

$(BUILD)/rpnctl: $(call obj,ctl/rpnctl.c) $(CTL_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(CTL_PKGS))

$(BUILD)/rpn-tool: $(call obj,tests/tools/rpn-tool.c) $(CORE_LIB) $(CTL_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(NODE_PKGS))

# A test-only LD_PRELOAD shim (t-dp-refuse): the kernel refuses one port's elements.
$(BUILD)/refuse.so: tests/tools/refuse.c
	$(call say,CC,$@)$(CC) -shared -fPIC $(WARN) $(CFLAGS) -o $@ $< -ldl

$(BUILD)/bench-watch: $(call obj,tests/bench/watch.c) $(CTL_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(CTL_PKGS))

$(BUILD)/bench-dp: $(call obj,tests/bench/dpbench.c) $(PARENT_LIB) $(CORE_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(NODE_PKGS))

# The simulator (tests/sim/): the real core and proto libraries on a
# simulated clock and network.  The core's randomness and Ed25519 are
# wrapped at link time (the seams for --fake-crypto and for replay).
SIM_WRAP := -Wl,--wrap=randombytes_buf -Wl,--wrap=crypto_sign_verify_detached \
	    -Wl,--wrap=crypto_sign_detached
$(BUILD)/rpn-sim: $(call obj,tests/sim/sim.c) $(CORE_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) $(SIM_WRAP) -o $@ $^ $(call pkg_libs,$(NODE_PKGS))

sim: $(BUILD)/rpn-sim
	$(Q)tests/sim/run.sh $(BUILD) check

# The unit-test list is generated from the TEST(name) lines of tests/unit/test-*.c.
$(BUILD)/tests/list.h: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	$(Q)sed -n 's/^TEST(\([a-z0-9_]*\)).*/TEST_ENTRY(\1)/p' $(UNIT_SRC) > $@.tmp && mv $@.tmp $@

# The console's files (ctl/web), where make install puts them: rpnd's default
# web-root.  The stamp holds the value built in, so a make install with another
# PREFIX than the build's compiles config.c again instead of installing an
# rpnd that looks for its pages elsewhere.
$(call obj,node/core/config.c): ALL_CFLAGS += -DRPN_WEB_ROOT='"$(WEBDIR)"'
$(call obj,node/core/config.c): $(BUILD)/webdir.stamp
$(BUILD)/webdir.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(WEBDIR)' | cmp -s - $@ || echo '$(WEBDIR)' > $@
FORCE:

$(call obj,tests/unit/runner.c): $(BUILD)/tests/list.h
$(call obj,tests/unit/runner.c): ALL_CFLAGS += -I$(BUILD)/tests

$(UNIT): $(call obj,tests/unit/runner.c $(UNIT_SRC)) $(CORE_LIB) $(CTL_LIB) $(PROTO_LIB)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(NODE_PKGS))

# check-layers: the rooms' boundaries, checked on the objects (nm and the
# compiler's dependency files), not by reading the source.
check-layers: all
	$(Q)tests/check-layers.sh $(BUILD)

unit: $(UNIT)
	$(Q)$(UNIT)

# ---- fuzzers: clang's libFuzzer, with ASan+UBSan, in their own build tree ----
FUZZ_BUILD := build-fuzz
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -I. $(WARN) -g -O1 -fno-sanitize-recover=all \
	      $(call pkg_cflags,$(NODE_PKGS))
FUZZ_CFLAGS = $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LIB_SRC := $(PROTO_SRC) $(CORE_SRC)
FUZZ_SECONDS ?= 20

# The code under test is compiled once, instrumented for coverage but
# without libFuzzer's main (-fsanitize=fuzzer-no-link), and every harness
# links it: eight harnesses used to compile all of it eight times.
FUZZ_LIB := $(FUZZ_BUILD)/libfuzzed.a
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -MD -MP -c -o $@ $<
$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_LIB_SRC))
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_LIB) tests/fuzz/fuzz.h
	@mkdir -p $(FUZZ_BUILD)
	$(call say,FUZZ,$@)clang $(FUZZ_CFLAGS) -MD -MP -o $@ $< $(FUZZ_LIB) $(call pkg_libs,$(NODE_PKGS))

fuzzers: $(FUZZERS)

fuzz-smoke: $(FUZZERS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# fuzz-long: FUZZ_RUNS executions of each harness from its kept corpus
# (tests/fuzz/corpus/), the corpus minimised again, then a coverage report:
# the harnesses built again with clang's source-based coverage ($(COV_BUILD)/)
# run the corpus once.  FUZZ_NICE is the fuzzers' niceness; FUZZ_MAX_TIME
# (seconds, 0 = none) stops each harness early.
COV_BUILD := build-cov
COVERS    := $(patsubst tests/fuzz/%.c,$(COV_BUILD)/%,$(FUZZ_SRC))
COV_CFLAGS = -std=c11 -D_GNU_SOURCE -I. $(WARN) -g -O1 -fsanitize=fuzzer \
	     -fprofile-instr-generate -fcoverage-mapping $(call pkg_cflags,$(NODE_PKGS))
FUZZ_RUNS ?= 10000000
FUZZ_NICE ?= 10
FUZZ_MAX_TIME ?= 0

$(COV_BUILD)/%: tests/fuzz/%.c $(FUZZ_LIB_SRC) tests/fuzz/fuzz.h
	@mkdir -p $(COV_BUILD)
	$(call say,COV,$@)clang $(COV_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(call pkg_libs,$(NODE_PKGS))

fuzz-long: $(FUZZERS) $(COVERS) $(BUILD)/rpn-tool
	$(Q)RPN_TOOL=$(BUILD)/rpn-tool FUZZ_NICE=$(FUZZ_NICE) FUZZ_MAX_TIME=$(FUZZ_MAX_TIME) \
	    tests/fuzz/long.sh $(FUZZ_RUNS) $(FUZZERS)
	$(Q)tests/fuzz/cover.sh $(COV_BUILD) $(FUZZERS)

fuzz-cover: $(COVERS)
	$(Q)tests/fuzz/cover.sh $(COV_BUILD) $(FUZZERS)

integration: all
	$(Q)tests/integration/run.sh $(BUILD)

# check: what CI runs (through .ci/run).  It installs what it needs first.
check:
	$(Q)deploy/deps.sh build test
	$(Q)deploy/mkuser.sh
	$(Q)tests/check.sh

demo:
	$(Q)deploy/deps.sh build demo
	$(Q)deploy/mkuser.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo/demo.sh $(BUILD)

bench:
	$(Q)deploy/deps.sh build test bench
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench-watch $(BUILD)/bench-dp \
	    $(BUILD)/rpn-sim
	$(Q)tests/bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BUILD)/rpnd $(BUILD)/rpnd-engine $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/rpn $(BUILD)/rpnctl $(DESTDIR)$(BINDIR)/
	install -m 0644 docs/rpnd.8 docs/rpn.8 docs/rpnctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/rpnd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -D -m 0644 deploy/rpnd.service $(DESTDIR)$(UNITDIR)/rpnd.service
	install -D -m 0644 deploy/sysusers-rpn.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/rpn.conf
	install -D -m 0644 deploy/rpnd.conf.example $(DESTDIR)/etc/rpn/rpnd.conf.example
	install -d $(DESTDIR)$(WEBDIR)
	$(Q)for f in ctl/web/*; do [ -f "$$f" ] || continue; \
	    install -m 0644 "$$f" $(DESTDIR)$(WEBDIR)/ || exit 1; done
# A staged install (DESTDIR) leaves making the user to the package's scripts.
	$(Q)if [ -z "$(DESTDIR)" ]; then deploy/mkuser.sh; fi

clean:
	rm -rf build build-san build-clang build-scan $(FUZZ_BUILD) $(COV_BUILD)

.PHONY: FORCE all sim check-layers unit fuzzers fuzz-smoke fuzz-long fuzz-cover integration check demo bench install clean

-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
