/*
 * fuzz_config.c: libFuzzer target for the config reader (tools/config.c), as confgen calls it:
 * any text, any length up to confgen's 64 KiB. A config it accepts must be one the kernel can
 * honour (the limits kconfig.h states).
 */
#include <stdlib.h>
#include <string.h>
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kconfig c;
	struct config_error err;
	if (size >= 1 << 16)
		return 0;
	/* An exact-size copy: ASan then sees a read past the text's end. */
	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	if (config_parse(text, size, &c, &err) == 0) {
		if (c.task_count > LR_MAX_TASKS || c.kstack_size == 0)
			abort();
		for (unsigned i = 0; i < c.task_count; i++)
			if (c.tasks[i].stack_size == 0 || !config_work_word(c.tasks[i].work) ||
			    strlen(c.tasks[i].name) >= sizeof c.tasks[i].name)
				abort();
		if (!config_fault_word(c.fault))
			abort();
	} else if (strlen(err.msg) == 0 || strlen(err.msg) >= sizeof err.msg) {
		abort(); /* a refusal always says why */
	}
	free(text);
	return 0;
}
