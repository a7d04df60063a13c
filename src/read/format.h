/*
 * format.h - the contract between the pipeline and a log format reader.
 *
 * A format cuts its input into units on the calling thread (sequential,
 * cheap: copy bytes, find boundaries) and parses units on pool threads
 * (parallel, pure: a unit's batch depends only on the unit and the
 * read-only per-file state). EVTX units are 64 KiB chunks; JSON units are
 * blocks of whole records.
 */
#ifndef KZ_READ_FORMAT_H
#define KZ_READ_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "read/problem.h"
#include "read/read.h"
#include "read/stream.h"

/* A unit of work, owned by the pipeline between next() and parse(). */
typedef struct kz_unit {
    uint8_t *data;            /* buffer (malloc'd by next(), kept by the
                                 pipeline for reuse, freed with free()) */
    size_t len;               /* bytes of this unit at data; 0 = no data
                                 (problems only, or the end of input) */
    size_t cap;               /* allocation size, for reuse by next() */
    uint64_t offset;          /* stream offset of data[0] */
    uint64_t index;           /* chunk number / block number */
    uint64_t first_line;      /* JSON: line number of data[0] (1-based) */
    kz_problem_list problems; /* found while cutting (header, truncation) */
    kz_arena arena;           /* holds problems; moved into the batch */
} kz_unit;

typedef struct kz_format {
    const char *name;         /* "evtx", "json" */
    /* Reads what it needs from s (a header) and builds the per-file state
     * (never NULL on success). Problems go to u0 (a unit with no data,
     * delivered first). A failure means the input cannot be read at all;
     * err says why and the pipeline reports it. */
    kz_status (*open)(kz_stream *s, const kz_input *in,
                      const kz_read_opts *o, void **file_state,
                      kz_unit *u0, kz_error *err);
    /* Fills u with the next unit: u->len bytes at u->data (reallocate
     * u->data/u->cap as needed: it may hold an earlier unit's buffer),
     * u->offset, u->index, u->first_line, and problems found on the way.
     * At the end: u->len == 0 and no problems. A stream error returns its
     * status with err filled; the pipeline reports it and ends the input. */
    kz_status (*next)(void *file_state, kz_stream *s, kz_unit *u,
                      kz_error *err);
    /* Parses u into b (b->arena is ready, b->problems empty). Runs on a
     * pool thread: must not touch anything but u, file_state (read-only)
     * and b. Bad input becomes problems, never a failure; only OOM fails. */
    kz_status (*parse)(const void *file_state, const kz_unit *u,
                       const kz_read_opts *o, kz_batch *b);
    /* Frees the per-file state. Accepts NULL. */
    void (*close)(void *file_state);
} kz_format;

/* The EVTX format (read/evtx/). */
extern const kz_format kz_format_evtx;
/* The JSON format (read/json/). */
extern const kz_format kz_format_json;

#endif /* KZ_READ_FORMAT_H */
