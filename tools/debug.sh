#!/bin/sh
# debug.sh KERNEL.elf MEM: QEMU stopped at reset with a gdbstub, and GDB attached with the
# klayout commands loaded (`make debug`). QEMU is killed when GDB exits, however it exits.
set -eu
kernel=$1 mem=$2 port=${GDB_PORT:-1234}
qemu-system-riscv64 -machine virt -bios none -m "$mem" -kernel "$kernel" -display none \
	-monitor none -serial file:build/debug.console -S -gdb tcp:127.0.0.1:"$port" &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null || true' EXIT INT TERM
echo "debug: QEMU pid $qemu stopped at reset; console in build/debug.console"
gdb-multiarch -q "$kernel" -ex "source gdb-scripts/layout.gdb" -ex "target remote 127.0.0.1:$port"
