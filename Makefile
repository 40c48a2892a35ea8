# Memory-layout toolchain and the kernel it checks. `make help` lists the targets.
#
#   make            kernel (build/kernel.elf) and host tools (build/inspector, build/confgen)
#   make demo       the README's main job: gate one config, print the diagram and stack table
#   make test       unit tests, boot tests, the gate on every example and every violation
#   make deps       install the Debian packages the project needs (only the missing ones)
#   make install    PREFIX=/usr/local DESTDIR=: inspector, man pages, GDB scripts, schema, completion

CONFIG   ?= examples/default.conf
# An example may name its RAM in a comment line `# qemu-mem: 64M`; QEMU_MEM= overrides it.
QEMU_MEM ?= $(or $(shell sed -n 's/^\# qemu-mem: *//p' $(CONFIG) 2>/dev/null),128M)
BUILD    ?= build
CROSS    ?= riscv64-unknown-elf-
PYTHON   := /usr/bin/python3

# Host tools and tests always live in build/; BUILD only moves the kernel (tests build one per config).
H := build
K := $(BUILD)

KCC     := $(CROSS)gcc
KCFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -ffreestanding -fno-builtin -nostdlib \
           -fno-pic -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables -O2 -g \
           -Wall -Wextra -Werror -Iinclude -Ikernel -I$(K)/gen -MD
KLDFLAGS := -nostdlib -Wl,--build-id=sha1 -Wl,-T,$(K)/kernel.ld -Wl,--no-warn-rwx-segments

# Host tools honour CC, CPPFLAGS, CFLAGS, LDFLAGS as Debian packaging sets them (dpkg-buildflags).
# The project's own flags come around them: its include paths first (they win the lookup), its
# language and warning flags last (a user -std= or -w cannot undo them). CFLAGS defaults to -O2 -g.
# Host tools share only include/ and lib/ with the kernel, never kernel/.
CFLAGS     ?= -O2 -g
HOSTCFLAGS  = -Iinclude -Iengine -D_GNU_SOURCE $(CPPFLAGS) $(CFLAGS) -std=c11 -Wall -Wextra -Werror -MD
ELF_CFLAGS  = $(shell pkg-config --cflags libelf libdw 2>/dev/null)
ELF_LIBS    = $(shell pkg-config --libs libelf libdw 2>/dev/null || echo -ldw -lelf)

KERNEL_SRCS := $(wildcard kernel/*.S kernel/*.c kernel/platform/*.c) lib/crc32.c lib/diagram.c lib/lr_publish.c
KERNEL_OBJS := $(patsubst %,$(K)/obj/%.o,$(KERNEL_SRCS))

# The rules engine (engine/klayout.h): every check, the record, the stacks, the texts.
ENGINE_SRCS    := $(wildcard engine/*.c) lib/crc32.c lib/diagram.c lib/lr_publish.c
ENGINE_OBJS    := $(patsubst %.c,$(H)/host/%.o,$(ENGINE_SRCS))
INSPECTOR_SRCS := $(wildcard inspector/*.c)
CONFGEN_SRCS   := tools/confgen.c tools/config.c

.PHONY: all kernel host deps deps-bench run debug dump check demo gate-budget gate-check gate-demo test test-unit test-boot \
        test-gate test-gdb test-reader test-cases test-docs docs test-large bench bench-gate clean help \
        stress-connect
all: kernel host

help:
	@sed -n 's/^#   make/  make/p' Makefile; echo "  make run | debug | dump [FULL=1] | check | docs | test-large | bench | bench-gate | stress-connect | clean"; \
	 echo "  variables: CONFIG=$(CONFIG) QEMU_MEM=$(QEMU_MEM) BUILD=$(BUILD)"

deps:
	@tools/deps.sh
deps-bench:
	@tools/deps.sh bench

# ---- the kernel -------------------------------------------------------------------------------
kernel: $(K)/kernel.elf

# The config becomes headers, each rewritten only when its text changes, so CONFIG= rebuilds:
# config.h (struct kconfig), works.h (the work kinds its tasks do: ucode.c; its kernel fault), budget.conf (its
# stacks' sizes and depths, carried in the ELF by budget.S for the static stack analysis).
CONFGEN_MODE_config.h :=
CONFGEN_MODE_works.h := --works
CONFGEN_MODE_budget.conf := --budget
KCONFIG_GEN := $(K)/gen/config.h $(K)/gen/works.h $(K)/gen/budget.conf
$(KCONFIG_GEN): $(H)/confgen FORCE | deps
	@mkdir -p $(@D)
	@$(H)/confgen $(CONFGEN_MODE_$(@F)) $(CONFIG) > $@.tmp || { rm -f $@.tmp; exit 2; }
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(K)/kernel.ld: linker/kernel.ld.S include/memlayout.h | deps
	@mkdir -p $(@D)
	$(KCC) -E -P -x c -D__ASSEMBLER__ -Iinclude $< -o $@

# Every kernel function checks its stack on entry (trap.S's __cyg_profile_func_enter); the task
# code runs in user mode and can call nothing of the kernel, so it is built without the check.
KSTACKCHECK = $(if $(filter kernel/ucode.c,$<),,-finstrument-functions)
# Each object's frames (X.su) and calls (X.ci) beside it in $(K)/obj: the static stack analysis
# reads them with the ELF (`inspector budget`, docs/stack-budget.md).
KSTACKINFO = -fstack-usage -fcallgraph-info=su,da
$(K)/obj/%.o: % $(KCONFIG_GEN) | deps
	@mkdir -p $(@D)
	$(KCC) $(KCFLAGS) $(KSTACKCHECK) $(KSTACKINFO) -c $< -o $@
# .incbin is not in the -MD dependencies.
$(K)/obj/kernel/budget.S.o: kernel/stacks.budget

$(K)/kernel.elf: $(KERNEL_OBJS) $(K)/kernel.ld gdb-scripts/kernel-gdb.py.in
	$(KCC) $(KCFLAGS) $(KLDFLAGS) -o $@ $(KERNEL_OBJS)
	$(CROSS)objdump -S $@ > $(K)/kernel.asm
	$(CROSS)nm -n $@ > $(K)/kernel.sym
	sed -e "s|@TREE_GDB@|$(CURDIR)/gdb-scripts|" -e "s|@INSTALLED_GDB@|$(GDBDIR)|" gdb-scripts/kernel-gdb.py.in > $@-gdb.py

# ---- host tools -------------------------------------------------------------------------------
host: $(H)/inspector $(H)/libklayout.so $(H)/confgen gdb-scripts/klayout/constants.py

$(H)/confgen: $(CONFGEN_SRCS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(LDFLAGS) -o $@ $(CONFGEN_SRCS)

# One set of position-independent objects for both libraries; the inspector links the static one.
$(H)/host/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(ELF_CFLAGS) -fPIC -fvisibility=default -c $< -o $@

$(H)/libklayout.a: $(ENGINE_OBJS)
	rm -f $@ && ar rcs $@ $^

# GDB loads this one (gdb-scripts/klayout/engine.py, through ctypes).
$(H)/libklayout.so: $(ENGINE_OBJS)
	$(CC) -shared -Wl,-soname,libklayout.so $(LDFLAGS) -o $@ $^ $(ELF_LIBS)

$(H)/inspector: $(INSPECTOR_SRCS) $(H)/libklayout.a | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(ELF_CFLAGS) $(LDFLAGS) -o $@ $(INSPECTOR_SRCS) $(H)/libklayout.a $(ELF_LIBS)

# GDB reads the record's constants from the C headers, through the preprocessor (never retyped):
# everything up to the .in file's marker line is the headers' own output and is dropped.
gdb-scripts/klayout/constants.py: gdb-scripts/klayout/constants.py.in include/layout_record.h include/memlayout.h \
                                  include/lr_regions.h include/harness.h
	$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude $< -o $@.i
	sed '1,/<!-- end-c-headers -->/d' $@.i > $@.tmp && rm -f $@.i && mv $@.tmp $@

# ---- running it --------------------------------------------------------------------------------
run: $(K)/kernel.elf
	@echo "QEMU console; quit with Ctrl-C (the serial port is on stdio, the monitor is off)"
	qemu-system-riscv64 -machine virt -bios none -m $(QEMU_MEM) -kernel $< -display none \
		-monitor none -serial stdio

debug: $(K)/kernel.elf gdb-scripts/klayout/constants.py $(H)/libklayout.so | deps
	$(PYTHON) gdb-scripts/debug.py $(K)/kernel.elf --mem $(QEMU_MEM)

# The gate: boot, dump at the ready line, check. The dump is a sparse ELF core (the image, the
# record, every stack the record names, the registers: what the checks read), so its time and
# disk do not grow with RAM; FULL=1 dumps all of RAM instead (ELF core and raw image of the same
# moment, for crash-dump users; progress is shown above 2 GiB). docs/inspector.md, "Sparse dumps".
DUMP_FLAGS = $(if $(FULL),--elf $(K)/dump.elf --raw $(K)/dump.bin,--sparse $(K)/dump.elf)
# The config's `# inspector: OPTIONS` line (docs/config.md) applies here too; CHECK_FLAGS adds more.
GATE_FLAGS = $(shell sed -n 's/^\# inspector: *//p' $(CONFIG) 2>/dev/null) $(CHECK_FLAGS)
GATE_STATUS_FILE = $(K)/gate.status

# The static stack budget, after the build and before QEMU: a stack smaller than its static
# worst case, or without one, stops the gate here with exit 1 and the report of `inspector
# budget` (stack.budget, naming the chain that needs the bytes); a config that breaks its budget
# on purpose to show what happens at run time says `# budget: boot` (docs/stack-budget.md).
GATE_GOALS  := $(filter check demo gate-check gate-demo,$(MAKECMDGOALS))
BUDGET_BOOT  = $(filter boot,$(shell sed -n 's/^\# budget: *//p' $(CONFIG) 2>/dev/null))
gate-budget: $(K)/kernel.elf host
	@$(H)/inspector budget $(K)/kernel.elf $(if $(findstring json,$(GATE_FLAGS)),--format=json) \
	   > $(K)/budget.out; st=$$?; [ $$st -eq 0 ] && exit 0; \
	 if [ $$st -eq 1 ] && [ -n "$(BUDGET_BOOT)" ]; then \
	   echo "budget: $(CONFIG) breaks its stack budget on purpose (# budget: boot): booting it" >&2; exit 0; fi; \
	 cat $(K)/budget.out; echo $$st > $(GATE_STATUS_FILE); exit $$st

dump: $(K)/kernel.elf host $(if $(GATE_GOALS),gate-budget) | deps
	@rm -f $(K)/dump.bin $(K)/dump.elf
	$(PYTHON) tools/kqemu.py dump $(K)/kernel.elf --mem $(QEMU_MEM) $(DUMP_FLAGS) -q

# The gate itself: the inspector's status goes to $(GATE_STATUS_FILE) (see below).
gate-check: dump
	@$(H)/inspector check $(K)/dump.elf --elf $(K)/kernel.elf $(GATE_FLAGS); echo $$? > $(GATE_STATUS_FILE)

gate-demo: dump
	@echo "== $(CONFIG) at $(QEMU_MEM): the gate"
	@$(H)/inspector check $(K)/dump.elf --elf $(K)/kernel.elf $(GATE_FLAGS); echo $$? > $(GATE_STATUS_FILE); \
	 echo; echo "== the layout, from the dump"; $(H)/inspector diagram $(K)/dump.elf --elf $(K)/kernel.elf; \
	 echo; echo "== the stacks"; $(H)/inspector stacks $(K)/dump.elf

# `make check` and `make demo` exit with the inspector's status: 0 all hold, 1 a violation,
# 2 unusable input or a harness failure (build, QEMU, no ready line). GNU make itself exits 2
# whenever a recipe fails, so when check or demo is the only goal, the gate runs while this
# Makefile is read (a sub-make writing to make's own stdout), and its status becomes make's:
# 1 through `-q` added to MAKEFLAGS (make's documented "a target is not up to date" status;
# nothing runs), 2 through a recipe that fails. With other goals or -n, check and demo are
# ordinary targets (a violation is then make's 2). Tested by tests/gate/test_contract.py.
ifndef GATE_INNER
ifeq ($(words $(MAKECMDGOALS))$(filter check demo,$(MAKECMDGOALS)),1$(MAKECMDGOALS))
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
# make's stdout is /proc/PPID/fd/1 here, opened to append (a log opened with >> stays whole);
# where it cannot be opened (a socket), the gate's output goes to stderr instead.
GATE_RESULT := $(shell rm -f $(GATE_STATUS_FILE); out=/proc/$$PPID/fd/1; \
  (exec >>$$out) 2>/dev/null || out=/dev/stderr; \
  $(MAKE) --no-print-directory $(if $(findstring s,$(firstword -$(MAKEFLAGS))),-s) \
    gate-$(MAKECMDGOALS) GATE_INNER=1 $(MAKEOVERRIDES) >>$$out; \
  cat $(GATE_STATUS_FILE) 2>/dev/null || echo 2)
endif
endif
endif

ifneq ($(GATE_RESULT),)
ifeq ($(GATE_RESULT),1)
MAKEFLAGS += -q
endif
check demo:
	@exit $(if $(filter 0 1,$(GATE_RESULT)),$(GATE_RESULT),2)
else
check demo: %: gate-%
	@exit $$(cat $(GATE_STATUS_FILE) 2>/dev/null || echo 2)
endif

# ---- tests ---------------------------------------------------------------------------------------
# The kernel's own unit tests compile kernel code on the host: only they see kernel/.
UNIT_CFLAGS = $(HOSTCFLAGS) -Ikernel -Itools -fsanitize=address,undefined -fno-sanitize-recover=all
UNIT_TESTS  := $(H)/test_stack $(H)/test_fdt $(H)/test_config $(H)/test_pmp $(H)/test_publish
DTBS        := $(H)/dtb/virt-64M.dtb $(H)/dtb/virt-128M.dtb $(H)/dtb/virt-5G.dtb

$(H)/test_stack: tests/unit/test_stack.c kernel/stack.c | deps
$(H)/test_fdt: tests/unit/test_fdt.c kernel/platform/fdt.c | deps
$(H)/test_config: tests/unit/test_config.c tools/config.c | deps
$(H)/test_pmp: tests/unit/test_pmp.c kernel/pmp.c | deps
$(H)/test_publish: tests/unit/test_publish.c lib/lr_publish.c lib/crc32.c | deps
$(UNIT_TESTS):
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) -lcmocka

# QEMU's own device trees, as the kernel receives them in a1.
$(H)/dtb/virt-%.dtb: | deps
	@mkdir -p $(@D)
	qemu-system-riscv64 -machine virt,dumpdtb=$@ -m $* -bios none -display none 2>/dev/null

# The engine on dumps built in memory (the inspector's fixture, no file written).
$(H)/test_engine: tests/unit/test_engine.c $(ENGINE_SRCS) tests/unit/test_inspector_fixture.c \
                  tests/unit/test_inspector_fixture_elf.c tests/unit/test_inspector_fixture.h | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(ELF_CFLAGS) -Itests/unit -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ $(filter %.c,$^) -lcmocka $(ELF_LIBS)

# The static stack analysis on call graphs given as text (.su, .ci, edge lists, tables).
$(H)/test_budget: tests/unit/test_budget.c $(ENGINE_SRCS) engine/budget.h engine/budget_int.h | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(ELF_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ $(filter %.c,$^) -lcmocka $(ELF_LIBS)

test-unit: $(UNIT_TESTS) $(H)/test_engine $(H)/test_budget $(DTBS)
	@for t in $(UNIT_TESTS) $(H)/test_engine $(H)/test_budget; do DTB_DIR=$(H)/dtb $$t || exit 1; done

test-boot: host | deps
	$(PYTHON) tests/boot/test_boot.py

test-gate: host | deps
	$(PYTHON) tests/gate/test_gate.py
	$(PYTHON) tests/gate/test_contract.py
	$(PYTHON) tests/gate/test_running.py

test-gdb: host | deps
	$(PYTHON) tests/gdb/run.py

# 50 `klayout connect`s in a row to a running QEMU, every core busy (about a minute, so not in
# make test, which runs 8 of them): docs/gdb.md, "Connecting to a running kernel".
stress-connect: host | deps
	$(PYTHON) tests/gdb/connect.py --count 50 --load

# Every invariant has a case that breaks it (a violation kernel or a named corruption).
test-cases: host | deps
	$(PYTHON) tests/cases/test_every_invariant.py

test-reader: host | deps
	$(PYTHON) tests/reader/test_reader.py

test-large: host | deps
	$(PYTHON) tests/gate/test_gate.py --large

# The sample outputs of README.md and docs/ against real runs (tools/docsamples.py).
test-docs: host | deps
	$(PYTHON) tools/docsamples.py --check

docs: host | deps
	$(PYTHON) tools/docsamples.py

test: test-unit test-inspector test-cases test-fuzz test-malformed test-boot test-gate test-reader test-gdb test-docs test-install

# ---- benchmarks (not tests: a slow machine fails nothing here) ------------------------------------
bench: host | deps-bench
	$(PYTHON) bench/run.py

# Only `make check` at 128M, 1G, 8G and 16G, side by side (issue 13's table).
bench-gate: host | deps-bench
	$(PYTHON) bench/run.py --gate-only

FORCE:
# Only this build's dependency files: build/ex/* holds every test's kernel, and reading all of
# them would cost every make (the gate included) a tenth of a second.
-include $(wildcard $(H)/*.d $(H)/host/*/*.d) $(shell find $(K)/obj -name '*.d' 2>/dev/null)

clean:
	rm -rf build gdb-scripts/klayout/constants.py

-include inspector/tests.mk
-include install.mk
-include tests/fuzz/fuzz.mk
-include tests/malformed/malformed.mk
-include tests/mutate/mutate.mk
