#!/bin/sh
# golden.sh INSPECTOR MKDUMP DIR [--regen]: the inspector's output on the fixture's good dumps
# against the reviewed files next to this script, compared with diff -u (elfutils' testrun_compare).
# --regen (make test-inspector-golden REGEN=1) rewrites them instead: review the diff by eye.
set -u
inspector=$1 mkdump=$2 dir=$3 regen=${4:-}
here=$(dirname "$0")
"$mkdump" "$dir" || exit 2

fails=0
# golden NAME EXPECTED-EXIT ARGS...: one output compared with $here/NAME.golden.
golden() {
	name=$1 want=$2
	shift 2
	"$inspector" "$@" > "$dir/$name.out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "golden: $name: exit $rc, expected $want"; fails=$((fails + 1))
	fi
	if [ "$regen" = --regen ]; then
		cp "$dir/$name.out" "$here/$name.golden"
	elif ! diff -u "$here/$name.golden" "$dir/$name.out"; then
		echo "golden: $name: output differs (make test-inspector-golden REGEN=1 to accept)"
		fails=$((fails + 1))
	fi
}

# Paths are relative to the repository so the files do not depend on where it lives.
golden diagram 0 diagram "$dir/good.core"
golden diagram-svg 0 diagram "$dir/good.core" --format svg
golden check-json 0 check "$dir/good.core" --format json
golden check-verbose 0 check "$dir/good.bin" --elf "$dir/kernel.elf" --min-headroom 50 -v
golden check-junit 1 check "$dir/good.core" --format junit --min-headroom 90
golden stacks 0 stacks "$dir/good.core"
golden stacks-json 0 stacks "$dir/good.bin" --format json
golden record 0 record "$dir/good.bin"
golden record-json 0 record "$dir/good.bin" --format json
golden sections 0 sections "$dir/kernel.elf"
# A violation: task 2 overflowed (fx_overflow), its stack.sp a follow-on, in every format.
golden overflow 1 check "$dir/overflow.core"
golden overflow-json 1 check "$dir/overflow.core" --format json
golden overflow-junit 1 check "$dir/overflow.core" --format junit
golden overflow-svg 0 diagram "$dir/overflow.core" --format svg
golden overflow-record-json 0 record "$dir/overflow.core" --format json
budget="--su-dir $dir/obj --stacks $dir/stacks.budget"
golden budget 0 budget "$dir/kernel.elf" $budget
golden budget-json 0 budget "$dir/kernel.elf" $budget --format json
golden stacks-budget 0 stacks "$dir/good.core" --elf "$dir/kernel.elf" $budget
golden diagram-budget 0 diagram "$dir/good.core" --elf "$dir/kernel.elf" $budget

if [ "$fails" -ne 0 ]; then
	echo "golden: $fails failed"; exit 1
fi
echo "golden: all outputs match tests/inspector/*.golden"
