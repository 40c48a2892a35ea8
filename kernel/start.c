/*
 * start.c: boot.S calls start() in machine mode on the linker script's boot stack. It reads RAM
 * from the device tree while the tree is still intact (QEMU may put it exactly where the kernel
 * stack goes), takes the kernel stack from the end of RAM and leaves the boot stack for kmain().
 */
#include "task.h"
#include "record.h"
#include "console.h"
#include "platform/fdt.h"

#define DTB_MAX_SIZE 0x200000 /* QEMU gives the tree a 2 MiB-aligned slot inside RAM */

extern char _task_code_end[];
void kmain(void);
void pmp_guard_kernel(uint64_t kstack_lo);

void start(uint64_t hartid, uint64_t dtb)
{
	(void)hartid;
	uart_init();
	kprintf("\nklayout: booting config '%s', device tree at %lx\n", kconfig.name, dtb);

	struct fdt_memory m;
	const char *err = fdt_memory((const void *)(uintptr_t)dtb, DTB_MAX_SIZE, &m);
	if (err)
		panic("start", err);
	record_init(&m, dtb);

	/* The kernel stack is the first stack: hi = end of RAM, its lo becomes `available`. No
	 * stack may reach the task code, nor the record and the image under it. */
	kernel_arena = (struct stack_arena){ (uint64_t)(uintptr_t)_task_code_end, m.mem_end };
	struct lr_range ks;
	err = stack_alloc(&kernel_arena, kconfig.kstack_size, &ks);
	if (err)
		panic("start", err);
	stack_paint(&ks); /* the device tree may die here: everything needed is in the record */

	struct layout_record *r = record_begin();
	r->kstack = ks;
	r->available = kernel_arena.available;
	r->free.hi = kernel_arena.available;
	r->kernel_sp = ks.hi; /* every trap starts the kernel stack afresh from hi */
	record_end();

	/* From here on nobody, the kernel included, can store into the kernel stack's lo word. */
	pmp_guard_kernel(ks.lo);
	kstack_top = ks.hi;

	stack_call(kmain, ks.hi);
	panic("start", "kmain returned");
}
