/*
 * test_fdt.c: kernel/platform/fdt.c on QEMU's own trees (build/dtb/, dumped by `make` with
 * -machine virt,dumpdtb= at several -m) and on trees built here to break it: every refusal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "platform/fdt.h"

/* ---- a tiny tree builder: header, structure block, strings block -------------------------- */
struct tree {
	uint8_t s[1024];  /* structure block */
	size_t ns;
	char str[256];    /* strings block */
	size_t nstr;
	uint8_t blob[2048];
	size_t size;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static void tok(struct tree *t, uint32_t v)
{
	put32(t->s + t->ns, v);
	t->ns += 4;
}

static void node(struct tree *t, const char *name)
{
	tok(t, 1);
	size_t n = strlen(name) + 1;
	memcpy(t->s + t->ns, name, n);
	t->ns += (n + 3) & ~3u;
}

static void prop(struct tree *t, const char *name, const uint32_t *cells, int ncells)
{
	tok(t, 3);
	tok(t, (uint32_t)ncells * 4);
	tok(t, (uint32_t)t->nstr);
	for (int i = 0; i < ncells; i++)
		tok(t, cells[i]);
	strcpy(t->str + t->nstr, name);
	t->nstr += strlen(name) + 1;
}

static void finish(struct tree *t)
{
	tok(t, 9); /* FDT_END */
	memset(t->blob, 0, sizeof t->blob);
	put32(t->blob, 0xd00dfeed);
	t->size = 40 + t->ns + t->nstr;
	put32(t->blob + 4, (uint32_t)t->size);
	put32(t->blob + 8, 40);                         /* off_dt_struct */
	put32(t->blob + 12, (uint32_t)(40 + t->ns));    /* off_dt_strings */
	put32(t->blob + 20, 17);                        /* version */
	put32(t->blob + 32, (uint32_t)t->nstr);         /* size_dt_strings */
	put32(t->blob + 36, (uint32_t)t->ns);           /* size_dt_struct */
	memcpy(t->blob + 40, t->s, t->ns);
	memcpy(t->blob + 40 + t->ns, t->str, t->nstr);
}

/* A root with the given cells and one memory node whose reg is `reg`. */
static void build(struct tree *t, uint32_t acells, uint32_t scells, const uint32_t *reg, int nreg,
		  const char *memname)
{
	memset(t, 0, sizeof *t);
	node(t, "");
	prop(t, "#address-cells", &acells, 1);
	prop(t, "#size-cells", &scells, 1);
	node(t, "cpus");
	tok(t, 2);
	node(t, memname);
	prop(t, "reg", reg, nreg);
	tok(t, 2);
	tok(t, 2);
	finish(t);
}

static void built_trees_give_their_memory(void **state)
{
	(void)state;
	struct tree t;
	struct fdt_memory m;
	static const uint32_t reg22[] = { 0x0, 0x80000000, 0x1, 0x40000000 }; /* 5 GiB */
	build(&t, 2, 2, reg22, 4, "memory@80000000");
	assert_null(fdt_memory(t.blob, t.size, &m));
	assert_int_equal(m.mem_start, 0x80000000ULL);
	assert_int_equal(m.mem_end, 0x80000000ULL + 0x140000000ULL);
	assert_int_equal(m.dtb_size, t.size);

	static const uint32_t reg11[] = { 0x80000000, 0x04000000 };
	build(&t, 1, 1, reg11, 2, "memory");
	assert_null(fdt_memory(t.blob, t.size, &m));
	assert_int_equal(m.mem_end, 0x84000000ULL);
}

static void bad_trees_are_refused_with_a_reason(void **state)
{
	(void)state;
	struct tree t;
	struct fdt_memory m;
	static const uint32_t reg[] = { 0x0, 0x80000000, 0x0, 0x08000000 };
	static const uint32_t empty[] = { 0x0, 0x80000000, 0x0, 0x0 };

	build(&t, 2, 2, reg, 4, "memory@80000000");
	t.blob[0] = 0;
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "no device tree (bad magic)");

	build(&t, 2, 2, reg, 4, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size - 1, &m), "device tree totalsize out of bounds");
	assert_string_equal(fdt_memory(t.blob, 12, &m), "device tree header truncated");

	build(&t, 2, 2, reg, 4, "flash@20000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree has no /memory node with a reg");

	build(&t, 3, 2, reg, 4, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree #address-cells/#size-cells not 1 or 2");

	build(&t, 2, 2, reg, 2, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree memory reg too short");

	build(&t, 2, 2, empty, 4, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree memory reg empty or wrapping");

	build(&t, 2, 2, reg, 4, "memory@80000000");
	put32(t.blob + 40 + 12, 0xffffff00); /* the first property's length: past the end */
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree property runs past its end");

	build(&t, 2, 2, reg, 4, "memory@80000000");
	put32(t.blob + 40, 7); /* an unknown token */
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree structure has an unknown token");

	build(&t, 2, 2, reg, 4, "memory@80000000");
	put32(t.blob + 4, (uint32_t)t.size - 4); /* totalsize cuts the strings block */
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree block offsets out of bounds");

	build(&t, 2, 2, reg, 4, "memory@80000000");
	put32(t.blob + 40 + t.ns - 4, 4); /* FDT_END becomes a NOP: the walk runs on */
	assert_non_null(fdt_memory(t.blob, t.size, &m));
}

/*
 * Cell counts QEMU never uses but other boards do, and each bound on its edge: a reg exactly
 * long enough and one cell short, a range ending at the top of the address space and one
 * wrapping past it, a totalsize exactly the buffer's.
 */
static void boundaries_of_cells_and_ranges(void **state)
{
	(void)state;
	struct tree t;
	struct fdt_memory m;
	static const uint32_t reg21[] = { 0x1, 0x00000000, 0x40000000 };   /* 2/1: 1 GiB at 4 GiB */
	build(&t, 2, 1, reg21, 3, "memory@100000000");
	assert_null(fdt_memory(t.blob, t.size, &m));
	assert_int_equal(m.mem_start, 0x100000000ULL);
	assert_int_equal(m.mem_end, 0x140000000ULL);
	build(&t, 2, 1, reg21, 2, "memory@100000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree memory reg too short");

	static const uint32_t reg12[] = { 0x80000000, 0x1, 0x00000000 };   /* 1/2: 4 GiB at 2 GiB */
	build(&t, 1, 2, reg12, 3, "memory@80000000");
	assert_null(fdt_memory(t.blob, t.size, &m));
	assert_int_equal(m.mem_start, 0x80000000ULL);
	assert_int_equal(m.mem_end, 0x180000000ULL);
	build(&t, 1, 2, reg12, 2, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree memory reg too short");

	static const uint32_t reg0[] = { 0x80000000, 0x1000 };
	build(&t, 0, 1, reg0, 2, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree #address-cells/#size-cells not 1 or 2");
	build(&t, 1, 0, reg0, 2, "memory@80000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree #address-cells/#size-cells not 1 or 2");

	/* [2^64 - 2^32, 2^64 - 1): the last byte below the top; one more byte wraps to 0. */
	static const uint32_t top[] = { 0xffffffff, 0x00000000, 0x0, 0xffffffff };
	static const uint32_t wrap[] = { 0xffffffff, 0x00000000, 0x1, 0x00000000 };
	build(&t, 2, 2, top, 4, "memory@ffffffff00000000");
	assert_null(fdt_memory(t.blob, t.size, &m));
	assert_int_equal(m.mem_end, 0xffffffffffffffffULL);
	build(&t, 2, 2, wrap, 4, "memory@ffffffff00000000");
	assert_string_equal(fdt_memory(t.blob, t.size, &m), "device tree memory reg empty or wrapping");

	/* totalsize exactly the bytes given: read; the dtb size is the tree's. */
	build(&t, 2, 1, reg21, 3, "memory@100000000");
	assert_null(fdt_memory(t.blob, t.size, &m));
	assert_int_equal(m.dtb_size, t.size);
}

/* Every truncation of a real tree is refused or read correctly, never read past its size. */
static void every_prefix_is_safe(void **state)
{
	(void)state;
	struct tree t;
	struct fdt_memory m;
	static const uint32_t reg[] = { 0x0, 0x80000000, 0x0, 0x08000000 };
	build(&t, 2, 2, reg, 4, "memory@80000000");
	for (size_t n = 0; n < t.size; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size: valgrind and ASan see any overread */
		memcpy(copy, t.blob, n);
		if (n >= 8)
			put32(copy + 4, (uint32_t)n); /* totalsize: what the parser may read */
		(void)fdt_memory(copy, n, &m);
		free(copy);
	}
}

/* QEMU's own trees, dumped by the Makefile into DTB_DIR at 64M, 128M and 5G. */
static void qemu_trees_give_the_ram_of_each_size(void **state)
{
	(void)state;
	static const struct { const char *file; uint64_t end; } cases[] = {
		{ "virt-64M.dtb", 0x84000000ULL },
		{ "virt-128M.dtb", 0x88000000ULL },
		{ "virt-5G.dtb", 0x1c0000000ULL },
	};
	const char *dir = getenv("DTB_DIR") ? getenv("DTB_DIR") : "build/dtb";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
		FILE *f = fopen(path, "rb");
		if (!f)
			fail_msg("cannot open %s (make dumps it)", path);
		static uint8_t blob[1 << 20];
		size_t n = fread(blob, 1, sizeof blob, f);
		fclose(f);
		struct fdt_memory m;
		assert_null(fdt_memory(blob, n, &m));
		assert_int_equal(m.mem_start, 0x80000000ULL);
		assert_int_equal(m.mem_end, cases[i].end);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(built_trees_give_their_memory),
		cmocka_unit_test(bad_trees_are_refused_with_a_reason),
		cmocka_unit_test(boundaries_of_cells_and_ranges),
		cmocka_unit_test(every_prefix_is_safe),
		cmocka_unit_test(qemu_trees_give_the_ram_of_each_size),
	};
	return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
