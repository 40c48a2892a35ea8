# tests/malformed/malformed.mk: the malformed-input suite (`make test-malformed`, part of
# `make test`): broken dumps, kernel ELFs, configs and command lines made from a real boot,
# run on build/inspector and build/inspector-asan; and `make check` under SIGINT/SIGTERM/SIGKILL.

MALFORMED_SRCS = $(filter-out %/main.c,$(sort $(INSPECTOR_SRCS) $(ENGINE_SRCS)))
MALFORMED_INC  = -Ikernel $(addprefix -I,$(sort $(patsubst %/,%,$(dir $(MALFORMED_SRCS)))))

.PHONY: test-malformed

$(H)/malformed/malformed_shrink: tests/malformed/shrink.c $(MALFORMED_SRCS) | deps
	@mkdir -p $(@D)
	$(CC) $(HOSTCFLAGS) $(MALFORMED_INC) $(ELF_CFLAGS) -o $@ $(filter %.c,$^) $(ELF_LIBS)

test-malformed: host $(H)/inspector-asan $(H)/malformed/malformed_shrink | deps
	$(PYTHON) tests/malformed/test_malformed.py
