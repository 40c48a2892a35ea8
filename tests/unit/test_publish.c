/*
 * test_publish.c: the record's publication protocol (lib/lr_publish.c). Whatever the step, the
 * copy a reader takes (copy[published]) is whole and its checksum holds; a pending update is
 * "abandoned" only once a tick has passed since it began; nested updates are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "layout_record.h"

static struct lr_area *area;

static int setup(void **state)
{
	(void)state;
	area = calloc(1, sizeof *area);
	return area ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(area);
	return 0;
}

/* What a reader of a dump does: the published copy, checked. 0 when it is whole. */
static const struct layout_record *reader_copy(const struct lr_area *a)
{
	assert_int_equal(a->pub.magic, LR_MAGIC);
	assert_int_equal(a->pub.version, LR_VERSION);
	assert_int_equal(a->pub.size, sizeof(struct layout_record));
	assert_true(a->pub.published <= 1);
	const struct layout_record *r = &a->copy[a->pub.published];
	assert_int_equal(r->checksum, lr_checksum(r, sizeof *r));
	assert_int_equal(r->generation % 2, 0);
	return r;
}

static void boot(void)
{
	lr_area_init(area);
	struct layout_record *r = lr_draft(area);
	assert_ptr_equal(r, &area->copy[0]);       /* the first record is built in copy 0 */
	assert_int_equal(area->pub.generation % 2, 1);
	r->magic = LR_MAGIC;
	r->version = LR_VERSION;
	r->size = sizeof *r;
	r->task_count = 1;
	lr_publish(area);
}

static void the_first_publication_names_copy_zero(void **state)
{
	(void)state;
	boot();
	assert_int_equal(area->pub.published, 0);
	assert_int_equal(area->pub.generation, 2);
	assert_int_equal(area->pub.copy_offset, offsetof(struct lr_area, copy));
	assert_int_equal(reader_copy(area)->task_count, 1);
	assert_int_equal(reader_copy(area)->generation, 2);
}

static void a_pending_update_never_shows(void **state)
{
	(void)state;
	boot();
	struct layout_record before = *reader_copy(area);
	struct layout_record *d = lr_begin(area);
	assert_non_null(d);
	assert_ptr_equal(d, &area->copy[1]);         /* the draft is the other copy... */
	assert_memory_equal(d, &before, sizeof before); /* ...starting from the published state */
	assert_int_equal(area->pub.generation % 2, 1);
	for (uint32_t i = 0; i < 40; i++) {          /* field after field: a dump at each step */
		d->tasks[i].switches = i + 1;
		d->current = i;
		assert_memory_equal(reader_copy(area), &before, sizeof before);
	}
	lr_publish(area);
	const struct layout_record *after = reader_copy(area);
	assert_ptr_equal(after, &area->copy[1]);
	assert_int_equal(after->tasks[39].switches, 40);
	assert_int_equal(after->generation, area->pub.generation);
	assert_int_equal(area->pub.generation % 2, 0);
	/* The next update writes copy 0 again, starting from copy 1's state. */
	d = lr_begin(area);
	assert_ptr_equal(d, &area->copy[0]);
	assert_int_equal(d->tasks[39].switches, 40);
	lr_publish(area);
	assert_int_equal(area->pub.published, 0);
}

static void nested_updates_are_refused(void **state)
{
	(void)state;
	boot();
	assert_non_null(lr_begin(area));
	assert_null(lr_begin(area));
	lr_publish(area);
	assert_non_null(lr_begin(area));
}

static void a_tick_tells_abandoned_from_in_progress(void **state)
{
	(void)state;
	boot();
	lr_tick(area);
	lr_tick(area);
	assert_int_equal(area->pub.heartbeat, 2);
	assert_false(lr_update_abandoned(&area->pub));
	assert_non_null(lr_begin(area));
	assert_int_equal(area->pub.pending_since, 2);
	assert_false(lr_update_abandoned(&area->pub)); /* begun at this tick: in progress */
	lr_tick(area);                                 /* the kernel ran on, a tick later */
	assert_true(lr_update_abandoned(&area->pub));
	reader_copy(area);                             /* the published copy still reads whole */
	lr_publish(area);
	assert_false(lr_update_abandoned(&area->pub));
}

static void a_discarded_update_leaves_the_published_copy(void **state)
{
	(void)state;
	boot();
	struct layout_record before = *reader_copy(area);
	struct layout_record *d = lr_begin(area);
	d->current = 7;
	lr_discard(area);
	assert_int_equal(area->pub.generation % 2, 0);
	assert_memory_equal(reader_copy(area), &before, sizeof before);
	lr_discard(area);                              /* nothing pending: nothing happens */
	assert_int_equal(area->pub.generation % 2, 0);
	assert_non_null(lr_begin(area));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_first_publication_names_copy_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(a_pending_update_never_shows, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_updates_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_tick_tells_abandoned_from_in_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(a_discarded_update_leaves_the_published_copy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
