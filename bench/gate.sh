#!/bin/sh
# gate.sh KERNEL MEM DUMP [INSPECTOR]: the whole gate as `make check` runs it, for bench/run.py
# to time: boot in QEMU, ELF core at the ready line, inspector check. Exit: the inspector's.
set -e
kernel=$1 mem=$2 dump=$3 inspector=${4:-build/inspector}
/usr/bin/python3 tools/kqemu.py dump "$kernel" --mem "$mem" --elf "$dump" -q
exec "$inspector" check "$dump" --elf "$kernel" >/dev/null
