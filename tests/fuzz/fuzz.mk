# tests/fuzz/fuzz.mk: libFuzzer harnesses for every parser, included by the top Makefile.
#
#   make fuzz FUZZ_TIME=600     each target for FUZZ_TIME seconds (default 60), one after another
#   make fuzz FUZZ_TARGETS=kelf only some of them
#   make test-fuzz              part of `make test`: the seed corpus, then a few seconds each
#
# Targets: dump (the dump reader and every check behind it), kelf (the kernel-ELF reader),
# config (tools/config.c), fdt (kernel/platform/fdt.c, built for the host) and budget (the
# static stack analysis's .su, .ci, edge-list and stack-table readers, and the analysis). Seeds are in git
# under tests/fuzz/corpus/TARGET/; what a run finds goes to build/fuzz/TARGET/ (its corpus) and
# build/fuzz/TARGET-crash-* (the inputs that crashed). clang 14 with libFuzzer: `make deps`.

FUZZ_TARGETS ?= dump kelf config fdt budget
FUZZ_TIME    ?= 60
FUZZ_SMOKE   ?= 3
FUZZ_CC      ?= clang
# The inspector's sources and their directories, wherever they live (inspector/, engine/).
FUZZ_ALL_SRCS = $(sort $(INSPECTOR_SRCS) $(ENGINE_SRCS))
FUZZ_INC     = -Iinclude -Ikernel -Itools $(addprefix -I,$(sort $(patsubst %/,%,$(dir $(FUZZ_ALL_SRCS)))))
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -O1 -g $(FUZZ_INC) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRCS = $(filter-out %/main.c,$(FUZZ_ALL_SRCS))
FUZZ_BINS    := $(addprefix $(H)/fuzz/fuzz_,$(FUZZ_TARGETS))

.PHONY: fuzz test-fuzz

$(H)/fuzz/fuzz_dump: tests/fuzz/fuzz_dump.c $(FUZZ_LIB_SRCS)
$(H)/fuzz/fuzz_kelf: tests/fuzz/fuzz_kelf.c $(FUZZ_LIB_SRCS)
$(H)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c tools/config.c
$(H)/fuzz/fuzz_fdt: tests/fuzz/fuzz_fdt.c kernel/platform/fdt.c
$(H)/fuzz/fuzz_budget: tests/fuzz/fuzz_budget.c $(FUZZ_LIB_SRCS)
$(FUZZ_BINS): | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(if $(filter %dump %kelf %budget,$@),$(ELF_LIBS))

# One target after another (the machine has two cores and other work); a crash stops make.
fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(H)/fuzz/$$t; \
	  echo "== fuzz $$t for $(FUZZ_TIME) s (log: $(H)/fuzz/$$t.log)"; \
	  $(H)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(H)/fuzz/$$t- $(H)/fuzz/$$t tests/fuzz/corpus/$$t > $(H)/fuzz/$$t.log 2>&1 \
	    || { tail -40 $(H)/fuzz/$$t.log; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|new_units_added)|cov: ' $(H)/fuzz/$$t.log | tail -3; \
	done

# The seeds as a regression test, then a short run. libFuzzer writes new inputs into its first
# corpus directory: a scratch one, emptied after, so the seeds in git never grow.
test-fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  $(H)/fuzz/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t > $(H)/fuzz/$$t-seeds.log 2>&1 \
	    || { tail -30 $(H)/fuzz/$$t-seeds.log; echo "fuzz $$t: a seed fails"; exit 1; }; \
	  rm -rf $(H)/fuzz/$$t-smoke && mkdir -p $(H)/fuzz/$$t-smoke; \
	  $(H)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SMOKE) -max_len=65536 -artifact_prefix=$(H)/fuzz/$$t- \
	    $(H)/fuzz/$$t-smoke tests/fuzz/corpus/$$t > $(H)/fuzz/$$t-smoke.log 2>&1 \
	    || { tail -30 $(H)/fuzz/$$t-smoke.log; echo "fuzz $$t: crash, input in $(H)/fuzz/"; exit 1; }; \
	  rm -rf $(H)/fuzz/$$t-smoke; \
	  echo "fuzz $$t: seeds pass, $(FUZZ_SMOKE) s smoke run clean"; \
	done
