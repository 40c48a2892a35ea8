/*
 * budget_int.h: the call graph's storage, shared by the budget modules only: budget_graph.c
 * (functions, edges, merging, names), budget_read.c (the .su, .ci, edge-list and declared-table
 * readers), budget_elf.c (the ELF's code), budget_analyse.c (the worst case of a stack).
 */
#ifndef BUDGET_INT_H
#define BUDGET_INT_H

#include "budget.h"
#include "layout_record.h"

#define BG_DECL_STACKS 16
#define BG_DECL_CALLS  32

struct bg_graph {
	struct bg_func *f;
	size_t nf, capf;
	int *hash;             /* open addressing on key: index + 1, 0 empty */
	size_t hcap;
	struct bg_edge *e;
	size_t ne, cape;
	int finished;
	const struct kelf *k;  /* the ELF, for the declared symbols (NULL in unit tests) */
	struct bg_decl_stack ds[BG_DECL_STACKS];
	uint64_t ds_lo[BG_DECL_STACKS], ds_hi[BG_DECL_STACKS];     /* symbols, resolved */
	uint64_t ds_code_lo[BG_DECL_STACKS], ds_code_hi[BG_DECL_STACKS];
	size_t nds;
	struct bg_decl_calls dc[BG_DECL_CALLS];
	size_t ndc;
	char decl_path[256];
	char decl_section[32];
	int have_kernel_config;
	uint64_t kernel_config;
	struct bg_config_task ct[LR_MAX_TASKS];
	size_t nct;
};

/* The function with this key, created (frame unknown) when absent: its index, or -1 (no memory). */
int bg_func_get(struct bg_graph *g, const char *key, const char *name);
/* The function with this key, or -1. */
int bg_func_find(const struct bg_graph *g, const char *key);
/* Appends an edge; returns its index, or -1 (no memory). */
int bg_edge_add(struct bg_graph *g, const struct bg_edge *e);
/* "file:line" of "file:line:col" into out (file and line parsed when wanted). */
void bg_site(char *out, size_t len, const char *loc, char *file, size_t flen, int *line);

#endif
