/*
 * kernel.ld.S: the kernel image, in the design document's order from the start of RAM:
 * text, rodata, data, bss, then the temporary boot stack; the layout record at RECORD_ADDR;
 * then, outside the image, the task-code region: kernel/ucode.c's text and read-only data, the
 * only memory besides its own stack that PMP lets a task touch (docs/pmp.md).
 * Preprocessed with memlayout.h: no address is written here. Every boundary is a symbol
 * (start.c copies them into the record; the inspector compares them with the record).
 */
#include "memlayout.h"

OUTPUT_ARCH(riscv)
ENTRY(_start)

SECTIONS
{
	. = RAM_BASE;
	PROVIDE(_image_start = .);

	.text : {
		PROVIDE(_text_start = .);
		KEEP(*(.text.boot))
		*(EXCLUDE_FILE(*ucode.c.o) .text EXCLUDE_FILE(*ucode.c.o) .text.*)
		. = ALIGN(16);
		PROVIDE(_text_end = .);
	}

	. = ALIGN(16);
	PROVIDE(_rodata_start = .);
	.note.gnu.build-id : {
		PROVIDE(_build_id_note = .);
		KEEP(*(.note.gnu.build-id))
	}
	.rodata : ALIGN(16) {
		*(EXCLUDE_FILE(*ucode.c.o) .srodata EXCLUDE_FILE(*ucode.c.o) .srodata.*)
		*(EXCLUDE_FILE(*ucode.c.o) .rodata EXCLUDE_FILE(*ucode.c.o) .rodata.*)
		. = ALIGN(16);
	}
	PROVIDE(_rodata_end = .);

	.data : ALIGN(16) {
		PROVIDE(_data_start = .);
		*(.sdata .sdata.*)
		*(.data .data.*)
		. = ALIGN(16);
		PROVIDE(_data_end = .);
	}

	.bss (NOLOAD) : ALIGN(16) {
		PROVIDE(_bss_start = .);
		*(.sbss .sbss.*)
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(16);
		PROVIDE(_bss_end = .);
	}

	.bootstack (NOLOAD) : ALIGN(16) {
		PROVIDE(_boot_stack_start = .);
		. += BOOT_STACK_SIZE;
		PROVIDE(_boot_stack_end = .);
	}
	PROVIDE(_image_end = .);

	.record RECORD_ADDR (NOLOAD) : {
		PROVIDE(_record_start = .);
		KEEP(*(.record))
		. = _record_start + RECORD_SIZE;
		PROVIDE(_record_end = .);
	}

	/* Task code: its own loadable segment after the record, page-aligned at both ends. */
	.task_code ALIGN(TASK_CODE_ALIGN) : {
		PROVIDE(_task_code_start = .);
		*ucode.c.o(.text .text.* .srodata .srodata.* .rodata .rodata.*)
		. = ALIGN(TASK_CODE_ALIGN);
		PROVIDE(_task_code_end = .);
	}
	/* Task code has no data: a task can write nothing but its own stack. */
	.task_data (NOLOAD) : {
		*ucode.c.o(.data .data.* .sdata .sdata.* .bss .bss.* .sbss .sbss.* COMMON)
	}

	/DISCARD/ : { *(.comment) }
}

ASSERT(_text_start == RAM_BASE, "error: kernel text must start at the start of RAM (RAM_BASE)")
ASSERT(_start == RAM_BASE, "error: _start must be the first instruction: QEMU -bios none jumps to RAM_BASE")
ASSERT(_image_end <= RECORD_ADDR, "error: kernel image overlaps the record page (RECORD_ADDR in include/memlayout.h)")
ASSERT(record_area == RECORD_ADDR, "error: the layout record moved from RECORD_ADDR")
ASSERT(_task_code_start == _record_end, "error: the task code must follow the record")
ASSERT(SIZEOF(.task_data) == 0, "error: kernel/ucode.c has data or bss: tasks cannot write it")
ASSERT(task_main >= _task_code_start && task_main < _task_code_end, "error: task_main is not in the task code")
ASSERT(_record_end == RECORD_ADDR + RECORD_SIZE, "error: the layout record outgrew RECORD_SIZE")
