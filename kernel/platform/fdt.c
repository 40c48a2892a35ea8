/*
 * fdt.c: reads the RAM range from a flattened device tree (devicetree specification v0.4,
 * chapter 5). start.c calls it on the boot stack, before the kernel stack covers the tree.
 * Every read is bounds-checked against the header's totalsize: host tests feed it bad trees.
 */
#include "fdt.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

struct fdt_cursor {
	const uint8_t *base;
	uint64_t size;       /* bytes of the tree that may be read */
};

static int be32_at(const struct fdt_cursor *c, uint64_t off, uint32_t *v)
{
	if (off > c->size || c->size - off < 4)
		return -1;
	const uint8_t *p = c->base + off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

/* A big-endian number of `cells` 32-bit cells (1 or 2) at off. */
static int cells_at(const struct fdt_cursor *c, uint64_t off, uint32_t cells, uint64_t *v)
{
	uint32_t hi = 0, lo;
	if (cells == 2 && be32_at(c, off, &hi))
		return -1;
	if (be32_at(c, off + (cells == 2 ? 4 : 0), &lo))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* Length of the NUL-terminated string at off, or -1 if it runs past the end. */
static int64_t str_len(const struct fdt_cursor *c, uint64_t off)
{
	for (uint64_t i = off; i < c->size; i++)
		if (c->base[i] == 0)
			return (int64_t)(i - off);
	return -1;
}

static int str_eq(const uint8_t *s, const char *lit)
{
	while (*lit && (char)*s == *lit)
		s++, lit++;
	return *lit == 0 && *s == 0;
}

/* "memory" or "memory@..." */
static int is_memory_node(const uint8_t *name)
{
	const char *m = "memory";
	while (*m && (char)*name == *m)
		name++, m++;
	return *m == 0 && (*name == 0 || *name == '@');
}

const char *fdt_memory(const void *blob, uint64_t max_size, struct fdt_memory *out)
{
	struct fdt_cursor c = { blob, max_size < 40 ? max_size : 40 };
	uint32_t magic, total, off_struct, off_strings, size_strings;
	if (be32_at(&c, 0, &magic) || magic != FDT_MAGIC)
		return "no device tree (bad magic)";
	if (be32_at(&c, 4, &total) || be32_at(&c, 8, &off_struct) || be32_at(&c, 12, &off_strings) ||
	    be32_at(&c, 32, &size_strings))
		return "device tree header truncated";
	if (total > max_size || total < 40)
		return "device tree totalsize out of bounds";
	if (off_strings > total || size_strings > total - off_strings || off_struct > total)
		return "device tree block offsets out of bounds";
	c.size = total;

	uint32_t addr_cells = 2, size_cells = 1; /* the specification's defaults */
	int depth = 0, in_memory = 0, found = 0;
	uint64_t off = off_struct;
	for (;;) {
		uint32_t token;
		if (be32_at(&c, off, &token))
			return "device tree structure runs past its end";
		off += 4;
		if (token == FDT_BEGIN_NODE) {
			int64_t len = str_len(&c, off);
			if (len < 0)
				return "device tree node name runs past its end";
			depth++;
			in_memory = depth == 2 && is_memory_node(c.base + off);
			off += ((uint64_t)len + 1 + 3) & ~3ULL;
		} else if (token == FDT_END_NODE) {
			if (--depth < 0)
				return "device tree nodes unbalanced";
			in_memory = 0;
		} else if (token == FDT_PROP) {
			uint32_t len, nameoff;
			if (be32_at(&c, off, &len) || be32_at(&c, off + 4, &nameoff))
				return "device tree property truncated";
			uint64_t value = off + 8;
			if (len > c.size || value > c.size - len || nameoff >= size_strings)
				return "device tree property runs past its end";
			uint64_t name = (uint64_t)off_strings + nameoff;
			if (str_len(&c, name) < 0)
				return "device tree property name runs past its end";
			const uint8_t *pname = c.base + name;
			if (depth == 1 && len == 4 && str_eq(pname, "#address-cells"))
				be32_at(&c, value, &addr_cells);
			else if (depth == 1 && len == 4 && str_eq(pname, "#size-cells"))
				be32_at(&c, value, &size_cells);
			else if (in_memory && !found && str_eq(pname, "reg")) {
				if (addr_cells < 1 || addr_cells > 2 || size_cells < 1 || size_cells > 2)
					return "device tree #address-cells/#size-cells not 1 or 2";
				if (len < 4 * (addr_cells + size_cells))
					return "device tree memory reg too short";
				uint64_t start, size;
				cells_at(&c, value, addr_cells, &start);
				cells_at(&c, value + 4 * addr_cells, size_cells, &size);
				if (size == 0 || start + size < start)
					return "device tree memory reg empty or wrapping";
				out->mem_start = start;
				out->mem_end = start + size;
				found = 1;
			}
			off = value + ((len + 3ULL) & ~3ULL);
		} else if (token == FDT_NOP) {
			continue;
		} else if (token == FDT_END) {
			break;
		} else {
			return "device tree structure has an unknown token";
		}
	}
	if (!found)
		return "device tree has no /memory node with a reg";
	out->dtb_size = total;
	return 0;
}
