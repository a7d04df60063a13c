/*
 * logsource_int.h - private seams of the logsource mapping: the table
 * rows (logsource_table.c) and the Security-alternate rewriter
 * (logsource_alt.c), shared with logsource.c and the unit tests.
 *
 * Ownership: rows are static constants; rewritten selections live in the
 * arena passed in.
 * Threads: everything here is constant or reentrant.
 */
#ifndef KZ_SIGMA_LOGSOURCE_INT_H
#define KZ_SIGMA_LOGSOURCE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "sigma/ast.h"
#include "sigma/logsource.h"

#define KZ_LS_MAX_CHANNELS 4 /* channels of one row */
#define KZ_LS_MAX_EIDS 16    /* event ids of one row */
/* Rename set of the native Defender target (not a kz_ls_alt: its rules
 * run on their own channel, only field names differ). */
#define KZ_LS_REN_DEFENDER 16

/* One category or service: where its rules run natively. */
typedef struct kz_ls_row {
    const char *name;                         /* category/service name */
    const char *channels[KZ_LS_MAX_CHANNELS]; /* NULL-terminated early */
    uint32_t eids[KZ_LS_MAX_EIDS];            /* 0-terminated; none = any */
    uint8_t alt;             /* kz_ls_alt alternate, KZ_LS_NATIVE = none */
    uint8_t native_ren;      /* rename set of the native target, 0 = the
                                rule's selections as written */
    const char *unsupported; /* non-NULL: cannot map; the reason */
} kz_ls_row;

/* The fixed place of an alternate: channel and event ids. */
typedef struct kz_ls_alt_place {
    const char *channels[1]; /* the one channel */
    uint32_t eids[1];        /* the one event id */
} kz_ls_alt_place;

/* The category row named name (ASCII case-insensitive), or NULL. */
const kz_ls_row *kz_ls_find_category(const char *name);

/* The service row named name (ASCII case-insensitive), or NULL. */
const kz_ls_row *kz_ls_find_service(const char *name);

/* Row i of the category (services = 0) or service (services = 1) table,
 * or NULL past the end (for the tests and the docs). */
const kz_ls_row *kz_ls_row_at(int services, size_t i);

/* Channel count and event id count of a row. */
size_t kz_ls_row_nchannels(const kz_ls_row *row);
size_t kz_ls_row_neids(const kz_ls_row *row);

/* Where alternate alt runs (alt != KZ_LS_NATIVE), or NULL. */
const kz_ls_alt_place *kz_ls_alt_place_of(kz_ls_alt alt);

/* Rewrites the selections of r for rename set `set` (a kz_ls_alt, or
 * KZ_LS_REN_DEFENDER) into a: field renames and value conversions of
 * sigma-notes.md 5.3. On success *out holds r->nsels selections. For an
 * alternate, returns KZ_EUNSUPPORTED (with a constant *why) when the rule
 * reads a field the alternate event lacks or holds a value that cannot be
 * converted faithfully; KZ_LS_REN_DEFENDER keeps unknown fields. KZ_ENOMEM
 * on OOM. */
kz_status kz_ls_rewrite(const kz_sigma_rule *r, unsigned set, kz_arena *a,
                        const kz_sg_selection **out, const char **why);

#endif /* KZ_SIGMA_LOGSOURCE_INT_H */
