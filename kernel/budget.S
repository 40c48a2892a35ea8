/*
 * budget.S: the static stack analysis's inputs, carried in the kernel ELF so that `inspector
 * budget build/kernel.elf` needs nothing but the compiler's .su and .ci files beside the
 * objects (docs/stack-budget.md): which code runs on which stack (kernel/stacks.budget) and
 * this config's stack sizes and depths (gen/budget.conf, from confgen --budget). A section that
 * is not loaded: the image in RAM does not change.
 */
	.section .klayout.budget, "", @progbits
	.incbin	"kernel/stacks.budget"
	.incbin	"budget.conf"
