/*
 * memlayout.h: the physical memory map of the kernel on QEMU virt, drawn once.
 * Included by the kernel's C and assembly, the linker script (through cpp) and the host tools.
 *
 *   mem_end  +----------------------------+  from the device tree; kernel stack hi, SP initial
 *            |  kernel stack              |  config kernel_stack; its lo word is excluded
 *            +----------------------------+  first `available` = task 1 hi
 *            |  task 1 stack, task 2 ...  |  stack_alloc, downward, each lo word excluded
 *            +----------------------------+  available = lo of the last task stack
 *            |  free                      |
 * 80102000   +----------------------------+  _record_end: no stack may reach below this
 *            |  layout record             |  RECORD_SIZE, at a fixed address: readers need no ELF
 * 80100000   +----------------------------+  RECORD_ADDR
 *            |  padding                   |
 *            +----------------------------+  _image_end
 *            |  boot stack, .bss, .data   |  kernel data
 *            |  .rodata, .text            |  kernel text; boot.S _start first
 * 80000000   +----------------------------+  RAM_BASE, where QEMU -bios none jumps
 */
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define _AC(X, Y) X
#else
#define _AC(X, Y) (X##Y)
#endif

#define RAM_BASE        _AC(0x80000000, UL) /* QEMU virt DRAM base; the kernel is linked here */
#define RECORD_ADDR     _AC(0x80100000, UL) /* the layout record; the image must end below it */
#define RECORD_SIZE     _AC(0x4000, UL)     /* the publication block and two copies of the record */
#define BOOT_STACK_SIZE _AC(0x2000, UL)     /* the linker script's temporary stack */
#define UART0           _AC(0x10000000, UL) /* QEMU virt ns16550a */
#define STACK_ALIGN     16                  /* RISC-V psABI: sp is 16-byte aligned */
#define CLINT           _AC(0x2000000, UL)  /* QEMU virt core-local interruptor */
#define CLINT_MTIMECMP  (CLINT + 0x4000)    /* hart 0's timer compare */
#define CLINT_MTIME     (CLINT + 0xbff8)    /* the timer, TIMER_HZ */
#define TIMER_HZ        10000000            /* QEMU virt's timebase-frequency */
#define TASK_CODE_ALIGN _AC(0x1000, UL)     /* the task-code region's start and end */

#endif
