# tests/mutate/mutate.mk: `make mutate`: the bugs of tests/mutate/mutants.txt put into a scratch
# copy one at a time; reports which ones the fast tests (MUTATE_TESTS) miss. Not part of
# `make test`: it rebuilds and retests once per mutant (about 15 minutes here).

MUTATE_TESTS ?= test-unit test-inspector

.PHONY: mutate
mutate: | deps
	$(PYTHON) tests/mutate/mutate.py --tests "$(MUTATE_TESTS)"
