/*
 * crc32.c: CRC-32 (IEEE 802.3, the one zlib and Python's zlib.crc32 compute), a byte at a time
 * from a 256-entry table built on first use from the 16-entry nibble table (1 KiB of .bss in the
 * kernel). The kernel checksums its record at every task switch: the byte table makes that about
 * three times cheaper than nibbles (`make bench`). Built into the kernel and the host tools.
 */
#include "layout_record.h"

static const uint32_t crc32_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

static uint32_t crc32_byte[256];
static int crc32_ready;

static void crc32_init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t crc = b;
		crc = (crc >> 4) ^ crc32_nibble[crc & 15];
		crc = (crc >> 4) ^ crc32_nibble[crc & 15];
		crc32_byte[b] = crc;
	}
	crc32_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!crc32_ready)
		crc32_init();
	crc = ~crc;
	while (len--)
		crc = (crc >> 8) ^ crc32_byte[(crc ^ *p++) & 0xff];
	return ~crc;
}
