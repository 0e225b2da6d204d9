# libFuzzer targets (issue 7).  Included at the end of the top Makefile:
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="manifest aci"]
#                       build every target and fuzz each for FUZZ_SECONDS
#   make fuzz-smoke     build every target and run each ~10 s (CI)
#   make fuzz-build     only build them (build/fuzz/bin/fuzz-*)
#   make fuzz-replay    build the replay drivers ($(BUILD)/fuzz-replay/*) with
#                       the normal compiler and flags: they feed files to the
#                       target without libFuzzer (tests/e2e/t7000)
#   make fuzz-regress   replay tests/fuzz/regress/<target>/* with them
# A target is tests/fuzz/fuzz-<name>.c; seeds are in tests/fuzz/corpus/<name>/
# (read only: new inputs go to build/fuzz/corpus/<name>/), crashes are
# written to build/fuzz/crash/<name>/ and belong in tests/fuzz/regress/<name>/.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_RSS_MB ?= 2048
FUZZ_ARGS ?=
FUZZ_DIR := tests/fuzz
FUZZ_BUILD := build/fuzz
FUZZ_ALL := $(sort $(patsubst $(FUZZ_DIR)/fuzz-%.c,%,$(filter-out $(FUZZ_DIR)/fuzz-util.c,$(wildcard $(FUZZ_DIR)/fuzz-*.c))))
FUZZ_TARGETS ?= $(FUZZ_ALL)

# The project's flags without optimisation, hardening or sanitizer choices
# of the current flavour; the library gets coverage instrumentation only.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := $(filter-out -O% -g -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer -D_FORTIFY_SOURCE=%,\
		$(ALL_CFLAGS)) -O1 -g $(FUZZ_SAN) -Wno-unused-command-line-argument
FUZZ_LIB_OBJ := $(COMMON_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB := $(FUZZ_BUILD)/libcommon.a
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/fuzz-%)
# acbuild/cmd-script.c is compiled into the script-tokenize target.
FUZZ_INC := -I$(FUZZ_DIR) -Iacbuild -Irunner

fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzzing needs clang (apt-get install clang)"; exit 1; }

$(FUZZ_BUILD)/common/%.o: common/%.c | fuzz-cc
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/tests/fuzz/%.o: $(FUZZ_DIR)/%.c | fuzz-cc
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/bin/fuzz-%: $(FUZZ_BUILD)/tests/fuzz/fuzz-%.o $(FUZZ_BUILD)/tests/fuzz/fuzz-util.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(FUZZ_LIB) $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

# One target after the other; -fork would hide the first crash's input.
FUZZ_ENV := ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
define fuzz_run
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crash/$$t; \
		echo "== fuzz-$$t: $(1) s"; \
		dict=; [ -f $(FUZZ_DIR)/dict/$$t.dict ] && dict=-dict=$(FUZZ_DIR)/dict/$$t.dict; \
		$(FUZZ_ENV) $(FUZZ_BUILD)/bin/fuzz-$$t -max_total_time=$(1) -timeout=25 -rss_limit_mb=$(FUZZ_RSS_MB) \
			-max_len=1048576 -print_final_stats=1 $$dict -artifact_prefix=$(FUZZ_BUILD)/crash/$$t/ $(FUZZ_ARGS) \
			$(FUZZ_BUILD)/corpus/$$t $(FUZZ_DIR)/corpus/$$t $(if $(2),$(FUZZ_DIR)/regress/$$t) 2>&1 | \
			grep -E '^(#[0-9]+ +DONE|stat::(number_of_executed_units|peak_rss_mb|new_units_added)|==[0-9]+==ERROR|SUMMARY|fuzz:|Done )' || true; \
		if ls $(FUZZ_BUILD)/crash/$$t/ 2>/dev/null | grep -q .; then \
			echo "fuzz-$$t: crash inputs in $(FUZZ_BUILD)/crash/$$t/"; exit 1; fi; \
	done
endef

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS),)

fuzz-smoke: fuzz-build
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS),)

# Replay drivers: the same target sources with the normal compiler and flags
# of the current flavour ($(BUILD), so "SANITIZE=address,undefined" gives
# sanitized replays), a main() instead of libFuzzer.
FUZZ_REPLAY_BINS := $(FUZZ_ALL:%=$(BUILD)/fuzz-replay/%)
$(BUILD)/tests/fuzz/%.o: ALL_CFLAGS += $(FUZZ_INC)
$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/fuzz-util.o $(BUILD)/tests/fuzz/replay.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(ALL_LDFLAGS) $(PKG_LIBS)

fuzz-replay: $(FUZZ_REPLAY_BINS)

fuzz-regress: fuzz-replay
	@set -e; for t in $(FUZZ_ALL); do \
		[ -d $(FUZZ_DIR)/regress/$$t ] || continue; \
		$(SAN_ENV) $(BUILD)/fuzz-replay/$$t $(FUZZ_DIR)/regress/$$t $(FUZZ_DIR)/corpus/$$t 2>/dev/null || \
			{ echo "fuzz-regress: $$t failed"; exit 1; }; \
	done; echo "fuzz-regress: all inputs replayed"

.PHONY: fuzz-cc fuzz fuzz-build fuzz-smoke fuzz-replay fuzz-regress
# The objects of the targets are kept (not intermediate files).
.SECONDARY: $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard $(FUZZ_DIR)/*.c)) \
	    $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(FUZZ_DIR)/*.c))

-include $(shell find $(FUZZ_BUILD) -name "*.d" 2>/dev/null)
