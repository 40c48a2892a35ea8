# Memory-layout toolchain and the kernel it checks. `make help` lists the targets.
#
#   make            kernel (build/kernel.elf) and host tools (build/inspector, build/confgen)
#   make demo       the README's main job: gate one config, print the diagram and stack table
#   make test       unit tests, boot tests, the gate on every example and every violation
#   make deps       install the Debian packages the project needs (only the missing ones)

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

HOSTCFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Iinclude -Ikernel -MD
ELF_CFLAGS  = $(shell pkg-config --cflags libelf libdw 2>/dev/null)
ELF_LIBS    = $(shell pkg-config --libs libelf libdw 2>/dev/null || echo -ldw -lelf)

KERNEL_SRCS := $(wildcard kernel/*.S kernel/*.c kernel/platform/*.c) lib/crc32.c lib/diagram.c lib/lr_publish.c
KERNEL_OBJS := $(patsubst %,$(K)/obj/%.o,$(KERNEL_SRCS))

INSPECTOR_SRCS := $(wildcard inspector/*.c) lib/crc32.c lib/diagram.c lib/lr_publish.c
CONFGEN_SRCS   := tools/confgen.c tools/config.c

.PHONY: all kernel host deps deps-bench run debug dump check demo test test-unit test-boot \
        test-gate test-gdb test-reader test-large bench clean help
all: kernel host

help:
	@sed -n 's/^#   make/  make/p' Makefile; echo "  make run | debug | dump | check | test-large | bench | clean"; \
	 echo "  variables: CONFIG=$(CONFIG) QEMU_MEM=$(QEMU_MEM) BUILD=$(BUILD)"

deps:
	@tools/deps.sh
deps-bench:
	@tools/deps.sh bench

# ---- the kernel -------------------------------------------------------------------------------
kernel: $(K)/kernel.elf

# The config becomes a header; rewritten only when its text changes, so CONFIG= rebuilds.
$(K)/gen/config.h: $(H)/confgen FORCE | deps
	@mkdir -p $(@D)
	@$(H)/confgen $(CONFIG) > $@.tmp || { rm -f $@.tmp; exit 2; }
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(K)/kernel.ld: linker/kernel.ld.S include/memlayout.h | deps
	@mkdir -p $(@D)
	$(KCC) -E -P -x c -D__ASSEMBLER__ -Iinclude $< -o $@

# Every kernel function checks its stack on entry (trap.S's __cyg_profile_func_enter); the task
# code runs in user mode and can call nothing of the kernel, so it is built without the check.
KSTACKCHECK = $(if $(filter kernel/ucode.c,$<),,-finstrument-functions)
$(K)/obj/%.o: % $(K)/gen/config.h | deps
	@mkdir -p $(@D)
	$(KCC) $(KCFLAGS) $(KSTACKCHECK) -c $< -o $@

$(K)/kernel.elf: $(KERNEL_OBJS) $(K)/kernel.ld
	$(KCC) $(KCFLAGS) $(KLDFLAGS) -o $@ $(KERNEL_OBJS)
	$(CROSS)objdump -S $@ > $(K)/kernel.asm
	$(CROSS)nm -n $@ > $(K)/kernel.sym

# ---- host tools -------------------------------------------------------------------------------
host: $(H)/inspector $(H)/confgen gdb-scripts/klayout/constants.py

$(H)/confgen: $(CONFGEN_SRCS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) -o $@ $(CONFGEN_SRCS)

$(H)/inspector: $(INSPECTOR_SRCS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(ELF_CFLAGS) -o $@ $(INSPECTOR_SRCS) $(ELF_LIBS)

# GDB reads the record's constants from the C headers, through the preprocessor (never retyped):
# everything up to the .in file's marker line is the headers' own output and is dropped.
gdb-scripts/klayout/constants.py: gdb-scripts/klayout/constants.py.in include/layout_record.h include/memlayout.h
	$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude $< -o $@.i
	sed '1,/<!-- end-c-headers -->/d' $@.i > $@.tmp && rm -f $@.i && mv $@.tmp $@

# ---- running it --------------------------------------------------------------------------------
run: $(K)/kernel.elf
	@echo "QEMU console; quit with Ctrl-C"
	qemu-system-riscv64 -machine virt -bios none -m $(QEMU_MEM) -kernel $< -display none \
		-monitor none -serial stdio

debug: $(K)/kernel.elf gdb-scripts/klayout/constants.py | deps
	$(PYTHON) gdb-scripts/debug.py $(K)/kernel.elf --mem $(QEMU_MEM)

# The gate: boot, dump at the ready line (ELF core and raw RAM of the same moment), check.
dump: $(K)/kernel.elf | deps
	$(PYTHON) tools/kqemu.py dump $(K)/kernel.elf --mem $(QEMU_MEM) --elf $(K)/dump.elf --raw $(K)/dump.bin -q

check: dump host
	$(H)/inspector check $(K)/dump.elf --elf $(K)/kernel.elf $(CHECK_FLAGS)

demo: dump host
	@echo "== $(CONFIG) at $(QEMU_MEM): the gate"
	@$(H)/inspector check $(K)/dump.elf --elf $(K)/kernel.elf $(CHECK_FLAGS); rc=$$?; \
	 echo; echo "== the layout, from the dump"; $(H)/inspector diagram $(K)/dump.elf --elf $(K)/kernel.elf; \
	 echo; echo "== the stacks"; $(H)/inspector stacks $(K)/dump.elf; exit $$rc

# ---- tests ---------------------------------------------------------------------------------------
UNIT_CFLAGS = $(HOSTCFLAGS) -Itools -fsanitize=address,undefined -fno-sanitize-recover=all
UNIT_TESTS  := $(H)/test_stack $(H)/test_fdt $(H)/test_config $(H)/test_pmp $(H)/test_publish
DTBS        := $(H)/dtb/virt-64M.dtb $(H)/dtb/virt-128M.dtb $(H)/dtb/virt-5G.dtb

$(H)/test_stack: tests/unit/test_stack.c kernel/stack.c | deps
$(H)/test_fdt: tests/unit/test_fdt.c kernel/platform/fdt.c | deps
$(H)/test_config: tests/unit/test_config.c tools/config.c | deps
$(H)/test_pmp: tests/unit/test_pmp.c kernel/pmp.c | deps
$(H)/test_publish: tests/unit/test_publish.c lib/lr_publish.c lib/crc32.c | deps
$(UNIT_TESTS):
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka

# QEMU's own device trees, as the kernel receives them in a1.
$(H)/dtb/virt-%.dtb: | deps
	@mkdir -p $(@D)
	qemu-system-riscv64 -machine virt,dumpdtb=$@ -m $* -bios none -display none 2>/dev/null

test-unit: $(UNIT_TESTS) $(DTBS)
	@for t in $(UNIT_TESTS); do DTB_DIR=$(H)/dtb $$t || exit 1; done

test-boot: host | deps
	$(PYTHON) tests/boot/test_boot.py

test-gate: host | deps
	$(PYTHON) tests/gate/test_gate.py
	$(PYTHON) tests/gate/test_running.py

test-gdb: host | deps
	$(PYTHON) tests/gdb/run.py

test-reader: host | deps
	$(PYTHON) tests/reader/test_reader.py

test-large: host | deps
	$(PYTHON) tests/gate/test_gate.py --large

test: test-unit test-inspector test-boot test-gate test-reader test-gdb

# ---- benchmarks (not tests: a slow machine fails nothing here) ------------------------------------
bench: host | deps-bench
	$(PYTHON) bench/run.py

FORCE:
-include $(shell find $(H) -name '*.d' 2>/dev/null)

clean:
	rm -rf build gdb-scripts/klayout/constants.py

-include inspector/tests.mk
