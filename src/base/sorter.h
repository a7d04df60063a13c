/*
 * sorter.h - an external sort of (key, value) byte records in bounded
 * memory: records are added in any order and read back ordered by key.
 *
 * Order: keys compare byte by byte (memcmp), a key that is a prefix of
 * another first; records with equal keys come back in the order they
 * were added (stable), whatever the spill pattern, so the output depends
 * only on the records and their order of addition.
 *
 * Memory: records are kept in memory up to mem_bound bytes (record bytes
 * plus 16 bytes of bookkeeping each); past it the records in memory are
 * sorted and written as one run to an unlinked temporary file. When
 * max_runs runs exist they are merged into one, so open files stay
 * bounded. Reading merges the runs and the records still in memory with
 * a binary heap: memory is then mem_bound plus one record per run.
 *
 * Run file layout, one record after another (native byte order; the file
 * never leaves the process):
 *
 *   offset  size   field
 *   0       4      klen: key bytes (<= KZ_SORTER_MAX_KEY)
 *   4       4      vlen: value bytes (<= KZ_SORTER_MAX_VALUE)
 *   8       klen   key
 *   8+klen  vlen   value
 *
 * Errors: KZ_ENOMEM; KZ_EIO when a temporary file cannot be made,
 * written or read back (message in err, naming the directory); KZ_EUSAGE
 * for a record past the size caps, or an add after kz_sorter_finish.
 * Threads: one sorter, one thread.
 */
#ifndef KZ_BASE_SORTER_H
#define KZ_BASE_SORTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define KZ_SORTER_DEFAULT_BOUND ((size_t)32 << 20)
#define KZ_SORTER_DEFAULT_RUNS 16
#define KZ_SORTER_MAX_KEY ((size_t)1 << 16)
#define KZ_SORTER_MAX_VALUE ((size_t)1 << 20)

typedef struct kz_sorter kz_sorter;

typedef struct kz_sorter_opts {
    size_t mem_bound;    /* bytes in memory before a spill
                            (0 = KZ_SORTER_DEFAULT_BOUND) */
    size_t max_runs;     /* runs before they are merged into one
                            (0 = KZ_SORTER_DEFAULT_RUNS; at least 2) */
    const char *tmp_dir; /* where runs go (NULL = $TMPDIR, or /tmp) */
} kz_sorter_opts;

typedef struct kz_sorter_stats {
    uint64_t records;       /* records added */
    uint64_t spills;        /* runs written (merged runs included) */
    uint64_t spilled_bytes; /* bytes written to runs */
} kz_sorter_stats;

/* A new empty sorter (o may be NULL: defaults). */
kz_status kz_sorter_new(const kz_sorter_opts *o, kz_sorter **out,
                        kz_error *err);

/* Frees the sorter and deletes its runs. Accepts NULL. */
void kz_sorter_free(kz_sorter *s);

/* Copies one record; may spill. */
kz_status kz_sorter_add(kz_sorter *s, const void *key, size_t klen,
                        const void *val, size_t vlen, kz_error *err);

/* Ends adding. Call once, before kz_sorter_next. */
kz_status kz_sorter_finish(kz_sorter *s, kz_error *err);

/* The next record in order: *key is NULL at the end. The bytes stay
 * valid until the next call. */
kz_status kz_sorter_next(kz_sorter *s, const uint8_t **key, size_t *klen,
                         const uint8_t **val, size_t *vlen, kz_error *err);

/* Figures so far. */
void kz_sorter_stats_get(const kz_sorter *s, kz_sorter_stats *st);

#endif /* KZ_BASE_SORTER_H */
