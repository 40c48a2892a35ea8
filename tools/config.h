/* config.h: the static config file reader (config.c), used by confgen and the unit tests. */
#ifndef TOOLS_CONFIG_H
#define TOOLS_CONFIG_H

#include <stddef.h>
#include "kconfig.h"

struct config_error {
	int line;       /* 1-based line of the config file, 0 for the file as a whole */
	char msg[160];
};

/*
 * Parses a config file's text (see examples/default.conf for the format) into *out.
 * Returns 0, or -1 with *err naming the line and what is wrong with it.
 */
int config_parse(const char *text, size_t len, struct kconfig *out, struct config_error *err);

/* The config word of a work kind or kernel fault ("write-lo"), NULL past the table. */
const char *config_work_word(unsigned work);
const char *config_fault_word(unsigned fault);

#endif
