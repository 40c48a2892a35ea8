# Memory-layout toolchain and the kernel it checks. `make help` lists the targets.
#
#   make            kernel (build/kernel.elf) and host tools (build/inspector, build/confgen)
#   make demo       the README's main job: gate one config, print the diagram and stack table
#   make test       unit tests, boot tests, the gate on every example and every violation
#   make deps       install the Debian packages the project needs (only the missing ones)

CONFIG   ?= examples/default.conf
QEMU_MEM ?= 128M
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
ELF_CFLAGS  = $(shell pkg-config --cflags libelf 2>/dev/null)
ELF_LIBS    = $(shell pkg-config --libs libelf 2>/dev/null || echo -lelf)

KERNEL_SRCS := $(wildcard kernel/*.S kernel/*.c kernel/platform/*.c) lib/crc32.c lib/diagram.c
KERNEL_OBJS := $(patsubst %,$(K)/obj/%.o,$(KERNEL_SRCS))

INSPECTOR_SRCS := $(wildcard inspector/*.c) lib/crc32.c lib/diagram.c
CONFGEN_SRCS   := tools/confgen.c tools/config.c

.PHONY: all kernel host deps deps-bench run debug dump check demo test test-unit test-boot \
        test-gate test-gdb test-large bench clean help
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

$(K)/obj/%.o: % $(K)/gen/config.h | deps
	@mkdir -p $(@D)
	$(KCC) $(KCFLAGS) -c $< -o $@

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

# GDB reads the record's constants from the C headers, through the preprocessor (never retyped).
gdb-scripts/klayout/constants.py: gdb-scripts/klayout/constants.py.in include/layout_record.h include/memlayout.h
	$(CC) -E -P -x c -Iinclude $< | sed -n 's/^ *//; /^$$/d; p' > $@

FORCE:
-include $(shell find $(H) -name '*.d' 2>/dev/null)

clean:
	rm -rf build gdb-scripts/klayout/constants.py
