# SPDX-License-Identifier: GPL-2.0
#
# make deps    install the Debian packages needed (idempotent)
# make         BPF objects, skeletons, userspace
# make test    every test suite, userspace built with ASan + UBSan
# make demo    the namespace testbed with real traffic (DEMO_ARGS=--keep ...)
# make fuzz    10 million mutated packets through the data path, and each
#              parser's libFuzzer harness for 5 minutes
# make V=1     show the commands
#
# Userspace is built twice from the same sources: plain into build/ and with
# AddressSanitizer + UndefinedBehaviorSanitizer into build/san/, which is
# what the tests run.

BUILD		:= build
SAN_BUILD	:= $(BUILD)/san
ARCH		:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
TRIPLET		:= $(shell gcc -dumpmachine 2>/dev/null)

CLANG		?= clang
CC		?= gcc
BPFTOOL		?= bpftool

BPF_CFLAGS	:= -target bpf -O2 -g -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
		   -Iinclude -Ibpf -I$(BUILD) -I/usr/include/$(TRIPLET)
CFLAGS		?= -O2 -g
CFLAGS		+= -Wall -Wextra -Wvla -Werror -std=gnu11 -Iinclude -Iuser -I$(BUILD)
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
LDLIBS		:= -lbpf -lelf -lz -lyaml -ljansson -lm

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_PROGS	:= xlb xlb_decap xdp_pass bench_swap bench_gen bench_sink
BPF_OBJS	:= $(patsubst %,$(BUILD)/%.bpf.o,$(BPF_PROGS))
SKELS		:= $(BUILD)/xlb.skel.h $(BUILD)/xlb_decap.skel.h
BPF_HDRS	:= $(wildcard bpf/*.h include/*.h)

LIB_SRCS	:= $(wildcard user/*.c)
CTL_SRCS	:= $(wildcard user/ctl/*.c)
XLBD_SRCS	:= $(wildcard user/daemon/*.c)
USER_HDRS	:= $(wildcard user/*.h user/*/*.h include/*.h)

TOOLS		:= xlb-load xlbctl xlbd
UNIT_TESTS	:= test_config_find test_maglev test_addr test_health test_skew test_plan test_diff test_report test_journal \
		   test_diagnosis test_fingerprint test_stall
BPF_TESTS	:= test_xdp

DEPS_STAMP	:= $(BUILD)/.deps

.PHONY: all deps test demo bench fuzz install clean man deb
all: $(BPF_OBJS) $(SKELS) $(addprefix $(BUILD)/,$(TOOLS)) $(BUILD)/xlb-loadgen \
     $(BUILD)/maglev_bench $(BUILD)/xdp_bench $(BUILD)/xdp-gen

deps: | $(BUILD)
	$(Q)bash tools/deps.sh
	$(Q)touch $(DEPS_STAMP)

# Anything that compiles needs the packages; check them once per tree.
$(DEPS_STAMP): tools/deps.sh | $(BUILD)
	$(Q)bash tools/deps.sh
	$(Q)touch $@

$(BUILD) $(SAN_BUILD):
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@.tmp
	$(Q)mv $@.tmp $@

# Userspace objects, plain and sanitized, from the same rule shape.
define user_objs
$(1)/%.o: user/%.c $(USER_HDRS) $(SKELS) | $(1)
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -c $$< -o $$@

$(1)/tests/%.o: tests/*/%.c $(USER_HDRS) $(SKELS) $(wildcard tests/*/*.h)
	@mkdir -p $$(dir $$@)
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -c $$< -o $$@

$(1)/libxlb.a: $(patsubst user/%.c,$(1)/%.o,$(LIB_SRCS))
	$$(call msg,AR,$$@)
	$$(Q)$$(AR) rcs $$@ $$^

$(1)/ctl/%.o: user/ctl/%.c $(USER_HDRS) $(SKELS)
	@mkdir -p $$(dir $$@)
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -Iuser/ctl -c $$< -o $$@

$(1)/tools/%.o: tools/%.c $(USER_HDRS) $(SKELS)
	@mkdir -p $$(dir $$@)
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -c $$< -o $$@

$(1)/xlb-load: $(1)/tools/xlb_load.o $(1)/libxlb.a
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)

$(1)/daemon/%.o: user/daemon/%.c $(USER_HDRS) $(SKELS)
	@mkdir -p $$(dir $$@)
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -Iuser/daemon -c $$< -o $$@

$(1)/xlbd: $(patsubst user/daemon/%.c,$(1)/daemon/%.o,$(XLBD_SRCS)) $(1)/libxlb.a
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) -lsystemd -lcurl -lmicrohttpd -lmnl

$(1)/xlbctl: $(patsubst user/ctl/%.c,$(1)/ctl/%.o,$(CTL_SRCS)) $(1)/libxlb.a
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef

$(eval $(call user_objs,$(BUILD),))
$(eval $(call user_objs,$(SAN_BUILD),$(SAN_FLAGS)))

$(SAN_BUILD)/test_%: $(SAN_BUILD)/tests/test_%.o $(SAN_BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The stall watch is xlbd's own (user/daemon/), not the library's.
$(SAN_BUILD)/test_stall: $(SAN_BUILD)/tests/test_stall.o $(SAN_BUILD)/daemon/stall.o $(SAN_BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lsystemd -lcmocka

# The data path's tests: a harness and one file per topic (tests/bpf/).
XDP_TEST_OBJS	:= $(patsubst tests/bpf/%.c,$(SAN_BUILD)/tests/%.o,$(wildcard tests/bpf/*.c))
$(SAN_BUILD)/test_xdp: $(XDP_TEST_OBJS) $(SAN_BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Load generator and benchmarks, plain builds (sanitizers would skew timings).
$(BUILD)/xlb-loadgen: tools/loadgen.c user/ctl/ipc.c $(BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -Iuser/ctl -o $@ $^ $(LDLIBS)

$(BUILD)/xdp-gen: tools/bench/xdp_gen.c $(BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%_bench: tools/bench/%_bench.c $(BUILD)/libxlb.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

bench: all
	$(Q)bash tools/bench/run.sh

# The parser fuzzers: clang's libFuzzer with ASan and UBSan, one harness
# per parser (tests/fuzz/fuzz_*.c), over a copy of the library built alike.
FUZZ_BUILD	:= $(BUILD)/fuzz
FUZZERS		:= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN	:= -g -O1 -fsanitize=address,undefined -Iinclude -Iuser -I$(BUILD)
FUZZ_FLAGS	:= $(FUZZ_SAN) -fsanitize=fuzzer -Wall -Wextra -Werror

$(FUZZ_BUILD)/lib/%.o: user/%.c $(USER_HDRS) $(SKELS) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libxlb.a: $(patsubst user/%.c,$(FUZZ_BUILD)/lib/%.o,$(LIB_SRCS))
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

# The history file's parser is xlbd's own: its files, built alike.
$(FUZZ_BUILD)/daemon/%.o: user/daemon/%.c $(USER_HDRS) $(SKELS) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -Iuser/daemon -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_history: tests/fuzz/fuzz_history.c tests/fuzz/fuzz_base.h \
		$(FUZZ_BUILD)/daemon/history.o $(FUZZ_BUILD)/daemon/history_file.o \
		$(FUZZ_BUILD)/daemon/history_texts.o $(FUZZ_BUILD)/libxlb.a
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -Iuser/daemon -o $@ $(filter-out %.h,$^) $(LDLIBS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libxlb.a $(wildcard tests/fuzz/*.h)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

# Long fuzzing: 10 million mutated packets through the data path (seed
# FUZZ_SEED), and each parser for FUZZ_SECONDS (default 300).
FUZZ_SEED	?= 1
fuzz: all $(SAN_BUILD)/test_xdp $(addprefix $(FUZZ_BUILD)/,$(FUZZERS))
	$(Q)$(SAN_BUILD)/test_xdp --fuzz 10000000 $(FUZZ_SEED)
	$(Q)FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash tests/fuzz/run_fuzzers.sh

TEST_BINS := $(addprefix $(SAN_BUILD)/,$(UNIT_TESTS) $(BPF_TESTS) $(TOOLS)) \
	     $(addprefix $(FUZZ_BUILD)/,$(FUZZERS))

test: all $(TEST_BINS)
	$(Q)BUILD=$(BUILD) SAN_BUILD=$(SAN_BUILD) UNIT_TESTS="$(UNIT_TESTS)" bash tests/run.sh

PREFIX		?= /usr/local
DESTDIR		?=
# The unit goes where the system's own units are for a package (make deb).
UNITDIR		?= /etc/systemd/system
DOCDIR		?= $(PREFIX)/share/doc/xlb
MANDIR		?= $(PREFIX)/share/man

# Man pages from scdoc sources beside the code; checked with mandoc -T lint.
MAN_SRCS	:= $(wildcard man/*.scd)
MAN_PAGES	:= $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))

man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd $(DEPS_STAMP)
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)scdoc <$< >$@.tmp && mv $@.tmp $@

install: all man
	install -D -m 0755 $(BUILD)/xlbd $(DESTDIR)$(PREFIX)/sbin/xlbd
	install -D -m 0755 $(BUILD)/xlbctl $(DESTDIR)$(PREFIX)/sbin/xlbctl
	install -D -m 0755 $(BUILD)/xlb-loadgen $(DESTDIR)$(PREFIX)/bin/xlb-loadgen
	install -D -m 0644 $(BUILD)/xlb_decap.bpf.o $(DESTDIR)$(PREFIX)/lib/xlb/xlb_decap.bpf.o
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/|$(PREFIX)/sbin/|g; s|/usr/share/doc/xlb/|$(DOCDIR)/|g' \
		tools/systemd/xlbd.service >$(DESTDIR)$(UNITDIR)/xlbd.service
	for m in $(MAN_PAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); done
	install -D -m 0644 tools/completion/xlbctl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/xlbctl
	for d in README.md docs/*.md; do install -D -m 0644 $$d $(DESTDIR)$(DOCDIR)/$$(basename $$d); done
	install -D -m 0644 tests/config/good/full.yaml $(DESTDIR)$(DOCDIR)/examples/xlb.yaml
	install -D -m 0644 tools/bird/bird.conf $(DESTDIR)$(DOCDIR)/examples/bird.conf
	install -D -m 0644 tools/monitoring/alerts.yml $(DESTDIR)$(PREFIX)/share/xlb/monitoring/alerts.yml
	install -D -m 0644 tools/monitoring/grafana-dashboard.json \
		$(DESTDIR)$(PREFIX)/share/xlb/monitoring/grafana-dashboard.json

# The Debian package (debian/), built in debian/build, into build/deb/;
# lintian must find no error. dpkg-buildpackage writes beside the tree.
DEB_VERSION	= $(shell dpkg-parsechangelog -S Version)
deb: $(DEPS_STAMP)
	$(Q)dpkg-buildpackage -us -uc -b -j2 >$(BUILD)/deb.log 2>&1 || \
		{ tail -n 30 $(BUILD)/deb.log; exit 1; }
	$(Q)mkdir -p $(BUILD)/deb
	$(Q)mv ../xlb_$(DEB_VERSION)_* ../xlb-dbgsym_$(DEB_VERSION)_* $(BUILD)/deb/ 2>/dev/null; true
	$(Q)lintian --fail-on error $(BUILD)/deb/xlb_$(DEB_VERSION)_*.changes
	$(Q)ls $(BUILD)/deb/*.deb

demo: all
	$(Q)bash tools/demo.sh $(DEMO_ARGS)

clean:
	$(Q)rm -rf $(BUILD)

.SECONDARY:
