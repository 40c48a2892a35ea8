# inspector/tests.mk: the inspector's tests, included by the top Makefile (`make test-inspector`,
# part of `make test`). Unit tests are cmocka programs that build synthetic dumps and run
# build/inspector on them; golden tests diff real output against tests/inspector/*.golden.
#
#   make test-inspector                  unit tests, golden files, freestanding diagram.c, the SVG
#                                        of every violation case rendered (boots each in QEMU)
#   make test-inspector-golden REGEN=1   rewrite the golden files (review the diff by eye)
#   make test-inspector-valgrind         the unit tests' inspector runs under valgrind
#   make test-inspector-fuzz             random corruption of dumps (FUZZ_RUNS=N, default 300)

INSPECTOR_TESTS   := checks errors diagram bounds
INSPECTOR_TEST_BINS := $(addprefix $(H)/test_inspector_,$(INSPECTOR_TESTS))
INSPECTOR_FIXTURE := tests/unit/test_inspector_fixture.c tests/unit/test_inspector_fixture_elf.c
INSPECTOR_TEST_CFLAGS = $(HOSTCFLAGS) -Itests/unit -fsanitize=address,undefined -fno-sanitize-recover=all
INSPECTOR_GOLDEN_DIR := $(H)/test-inspector

.PHONY: test-inspector test-inspector-unit test-inspector-golden test-inspector-valgrind \
        test-inspector-fuzz test-inspector-freestanding test-inspector-libfuzzer test-inspector-svg

test-inspector: test-inspector-unit test-inspector-golden test-inspector-freestanding test-inspector-svg

# diagram_draw also needs lib/diagram.c; the fuzz loop and mkdump only the fixture.
$(H)/test_inspector_diagram: tests/unit/test_inspector_diagram.c lib/diagram.c lib/crc32.c $(INSPECTOR_FIXTURE)
$(H)/test_inspector_checks: tests/unit/test_inspector_checks.c lib/crc32.c $(INSPECTOR_FIXTURE)
$(H)/test_inspector_errors: tests/unit/test_inspector_errors.c lib/crc32.c $(INSPECTOR_FIXTURE)
$(H)/test_inspector_bounds: tests/unit/test_inspector_bounds.c lib/crc32.c $(INSPECTOR_FIXTURE)
$(H)/test_inspector_fuzz: tests/unit/test_inspector_fuzz.c lib/crc32.c $(INSPECTOR_FIXTURE)
$(INSPECTOR_TEST_BINS) $(H)/test_inspector_fuzz: tests/unit/test_inspector_fixture.h | deps
	@mkdir -p $(@D)
	$(CC) $(INSPECTOR_TEST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka

$(H)/test_inspector_mkdump: tests/unit/test_inspector_mkdump.c lib/crc32.c $(INSPECTOR_FIXTURE) \
                            tests/unit/test_inspector_fixture.h | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) -Itests/unit -o $@ $(filter %.c,$^)

test-inspector-unit: $(H)/inspector $(INSPECTOR_TEST_BINS)
	@for t in $(INSPECTOR_TEST_BINS); do INSPECTOR=$(H)/inspector $$t || exit 1; done

# Then the JSON outputs against the published schema (closed) and `record --format json` against
# `record` (tests/inspector/check_json.py).
test-inspector-golden: $(H)/inspector $(H)/test_inspector_mkdump gdb-scripts/klayout/constants.py
	@tests/inspector/golden.sh $(H)/inspector $(H)/test_inspector_mkdump $(INSPECTOR_GOLDEN_DIR) $(if $(REGEN),--regen)
	@$(PYTHON) tests/inspector/check_json.py $(H)/inspector $(INSPECTOR_GOLDEN_DIR)

# The picture of every violation case (examples/violations/, booted and dumped as `make check`
# does) and of the fixture's overflow, rendered with rsvg-convert: text inside it, lo words red
# only when overwritten, no region drawn shorter than a smaller one (tests/inspector/test_svgs.py).
test-inspector-svg: $(H)/inspector $(H)/test_inspector_mkdump gdb-scripts/klayout/constants.py | deps
	@$(H)/test_inspector_mkdump $(INSPECTOR_GOLDEN_DIR)
	@$(PYTHON) tests/inspector/test_svgs.py $(INSPECTOR_GOLDEN_DIR)/overflow.core

# Every inspector run of the unit tests under valgrind: any error makes the run exit 99.
test-inspector-valgrind: $(H)/inspector $(INSPECTOR_TEST_BINS)
	@for t in $(INSPECTOR_TEST_BINS); do \
	  INSPECTOR="valgrind -q --error-exitcode=99 --leak-check=full $(H)/inspector" $$t || exit 1; done

# The inspector with sanitizers: an out-of-bounds read becomes a crash the fuzz loop sees.
$(H)/inspector-asan: $(INSPECTOR_SRCS) $(ENGINE_SRCS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(ELF_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ $(INSPECTOR_SRCS) $(ENGINE_SRCS) $(ELF_LIBS)

FUZZ_RUNS ?= 300
test-inspector-fuzz: $(H)/inspector-asan $(H)/test_inspector_fuzz
	@INSPECTOR="env ASAN_OPTIONS=exitcode=99 UBSAN_OPTIONS=exitcode=99 $(H)/inspector-asan" \
	  FUZZ_RUNS=$(FUZZ_RUNS) $(H)/test_inspector_fuzz

# lib/diagram.c goes into the kernel too: it must build freestanding and call nothing outside.
test-inspector-freestanding: | deps
	@mkdir -p $(H)/test-inspector
	@if command -v $(KCC) >/dev/null; then \
	  $(KCC) $(filter-out -MD -I$(K)/gen,$(KCFLAGS)) -c lib/diagram.c -o $(H)/test-inspector/diagram.o && \
	  undefined=$$($(CROSS)nm -u $(H)/test-inspector/diagram.o) && \
	  if [ -n "$$undefined" ]; then echo "lib/diagram.c calls outside itself: $$undefined"; exit 1; fi; \
	  echo "lib/diagram.c: freestanding, no external calls"; \
	else echo "lib/diagram.c: $(KCC) not found, freestanding check skipped"; fi

# libFuzzer on the dump reader: now one of the targets of tests/fuzz/fuzz.mk (`make fuzz`).
FUZZ_SECONDS ?= 60
test-inspector-libfuzzer:
	@$(MAKE) --no-print-directory fuzz FUZZ_TARGETS=dump FUZZ_TIME=$(FUZZ_SECONDS)
