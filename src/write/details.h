/*
 * details.h - which fields of an event an analyst needs first: the table
 * behind the Details column of the timelines (docs/output.md).
 *
 * One row per (channel, event id): an ordered list of items, each a label
 * and the field it shows, or two fields joined with '\' (the account as
 * DOMAIN\user). Every data field that no item shows goes to
 * ExtraFieldInfo. Events without a row show their first
 * KZ_DETAILS_FALLBACK fields as Details. Adding an event type is one row
 * in details.c.
 * Threads: the table is constant; reentrant.
 */
#ifndef KZ_WRITE_DETAILS_H
#define KZ_WRITE_DETAILS_H

#include <stddef.h>
#include <stdint.h>

#include "event/value.h"

#define KZ_DETAILS_MAX_ITEMS 8
#define KZ_DETAILS_FALLBACK 4

/* One item of a row. */
typedef struct kz_detail_item {
    const char *label;    /* name shown ("Account"); NULL ends the row */
    const char *field;    /* data field shown */
    const char *field2;   /* if not NULL: shown as field\field2 */
} kz_detail_item;

/* One row of the table. */
typedef struct kz_detail_row {
    const char *channel;  /* channel (compared ASCII case-insensitively) */
    uint32_t event_id;    /* event id */
    kz_detail_item items[KZ_DETAILS_MAX_ITEMS]; /* in display order */
} kz_detail_row;

/* The row of (channel, event_id), or NULL. */
const kz_detail_row *kz_details_find(kz_str channel, uint32_t event_id);

/* All rows (for docs and tests); *n gets the count. */
const kz_detail_row *kz_details_table(size_t *n);

#endif /* KZ_WRITE_DETAILS_H */
