/*
 * det_store.h - the detections of a run, kept in bounded memory and read
 * back in the timeline's total order.
 *
 * Records (detection.h) are added in any order. Past mem_bound bytes the
 * records in memory are sorted and written as one sorted run to an
 * unlinked temporary file; at the end, the runs and the records still in
 * memory are merged (k-way, a binary heap over the run heads). When
 * max_runs runs exist, they are first merged into one, so the number of
 * open files stays bounded too. Memory is therefore about mem_bound plus
 * one read buffer per run, whatever the number of detections (plus, while
 * the records in memory are sorted, two 48-byte sort keys per record).
 *
 * Order (DESIGN.md Conventions: Order): time, argument index, path (byte
 * order), record position, rule rank (rank[rule], e.g. the rank of the
 * rule's id among all ids; the rule index when no rank is given), rule
 * index. This is a total order for distinct detections, so the output is
 * the same for every thread count and every spill pattern.
 *
 * Errors: KZ_ENOMEM; KZ_EIO when a temporary file cannot be created,
 * written or read back (message in err); KZ_EFORMAT for a record that
 * does not decode.
 * Threads: one thread (the calling thread of kz_read_run).
 */
#ifndef KZ_WRITE_DET_STORE_H
#define KZ_WRITE_DET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "write/detection.h"

#define KZ_DET_STORE_DEFAULT_BOUND ((size_t)64 << 20)
#define KZ_DET_STORE_DEFAULT_RUNS 16

typedef struct kz_det_store kz_det_store;

typedef struct kz_det_store_opts {
    size_t mem_bound;        /* bytes of records kept in memory before a
                                spill (0 = KZ_DET_STORE_DEFAULT_BOUND) */
    size_t max_runs;         /* runs before they are merged into one
                                (0 = KZ_DET_STORE_DEFAULT_RUNS; >= 2) */
    const char *tmp_dir;     /* where runs go (NULL = $TMPDIR, or /tmp) */
    const uint32_t *rank;    /* rank of each rule index, or NULL */
    size_t nrank;            /* entries in rank */
    const kz_det_dict *dict; /* dictionary of the records (their paths
                                by file_index), or NULL; must outlive the
                                store and have the path of every record
                                added */
} kz_det_store_opts;

/* Figures of a store. */
typedef struct kz_det_store_stats {
    uint64_t records;        /* records added */
    uint64_t bytes;          /* their total size */
    uint64_t spills;         /* runs written (including merged ones) */
    uint64_t spilled_bytes;  /* bytes written to runs */
} kz_det_store_stats;

/* A new empty store (o may be NULL: defaults). The rank array and the
 * dictionary, if any, must outlive the store. */
kz_status kz_det_store_new(const kz_det_store_opts *o, kz_det_store **out,
                           kz_error *err);

/* Frees the store and closes (deletes) its runs. Accepts NULL. */
void kz_det_store_free(kz_det_store *s);

/* Copies one record (len bytes, as built by kz_det_build) into the
 * store; may spill. Fails with KZ_EUSAGE after kz_det_store_finish. */
kz_status kz_det_store_add(kz_det_store *s, const uint8_t *rec, size_t len,
                           kz_error *err);

/* Ends adding and prepares the merge. Call once. */
kz_status kz_det_store_finish(kz_det_store *s, kz_error *err);

/* Sets *rec and *len to the next record in order, or *rec to NULL at the
 * end. The record is valid until the next call. */
kz_status kz_det_store_next(kz_det_store *s, const uint8_t **rec,
                            size_t *len, kz_error *err);

/* Figures so far. */
void kz_det_store_stats_get(const kz_det_store *s, kz_det_store_stats *st);

/* Compares two records in the store's order (<0, 0, >0); rank as in
 * kz_det_store_opts. Exposed for the tests and for other sorted outputs. */
int kz_det_compare(const uint8_t *a, const uint8_t *b, const uint32_t *rank,
                   size_t nrank);

/* kz_det_compare of records built with dictionary dict (their paths
 * read from it when KZ_DET_PATH_BY_INDEX; a path it lacks sorts as ""). */
int kz_det_compare_in(const kz_det_dict *dict, const uint8_t *a,
                      const uint8_t *b, const uint32_t *rank, size_t nrank);

#endif /* KZ_WRITE_DET_STORE_H */
