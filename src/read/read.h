/*
 * read.h - reading inputs into batches of events: the pipeline that every
 * command uses.
 *
 * kz_read_run() walks the paths (files, directories in byte order, "-" for
 * stdin; gzip and zip unpacked on the fly; kinds recognised by their
 * bytes), cuts each input into units (an EVTX chunk, a block of JSON
 * records), parses units on a pool of threads, then hands each batch to
 * the caller IN INPUT ORDER on the calling thread, after deduplication.
 * Output is therefore identical for every thread count.
 *
 * Ownership: a batch and everything its events point at belong to the
 * pipeline; they are valid during the callbacks only.
 * Threads: on_worker runs on pool threads and, while it waits for a
 * batch, on the calling thread too (several at once, one batch each;
 * worker ids 0..threads-1); on_batch, on_input and on_progress run on the
 * calling thread.
 */
#ifndef KZ_READ_READ_H
#define KZ_READ_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "event/event.h"
#include "event/names.h"
#include "read/problem.h"

typedef enum kz_input_kind {
    KZ_INPUT_UNKNOWN = 0, /* not recognised */
    KZ_INPUT_EVTX,        /* "ElfFile\0" */
    KZ_INPUT_JSON,        /* '{', '[' or a BOM */
} kz_input_kind;

/* One input file (or archive member, or stdin). */
typedef struct kz_input {
    const char *path;     /* display path: "dir/a.evtx", "x.zip:in/a.json",
                             "-"; raw bytes, escape before printing */
    uint32_t arg_index;   /* index of the command-line argument */
    uint32_t file_index;  /* ordinal over all inputs of the run */
    kz_input_kind kind;   /* recognised kind */
    uint64_t size;        /* bytes (decompressed size, when known) */
    const char *shape;    /* JSON shape name once detected, else NULL */
} kz_input;

/* What a batch's chunk_first_rid..chunk_last_rid are worth (EVTX chunk
 * header, first/last event record identifier at offsets 24/32, the values
 * EventRecordID takes; docs/internals/read.md "Chunk record-id range"). */
typedef enum kz_chunk_rid {
    KZ_CHUNK_RID_NONE = 0,   /* not an EVTX chunk (JSON block, a batch of
                                problems only) */
    KZ_CHUNK_RID_VERIFIED,   /* signature and header checksum valid */
    KZ_CHUNK_RID_PLAUSIBLE,  /* signature valid, header checksum wrong,
                                but first <= last and the count fits in a
                                chunk: to be taken as a hint */
    KZ_CHUNK_RID_UNKNOWN,    /* an EVTX block whose range cannot be known
                                (bad signature, zeroed, truncated before
                                its header, implausible numbers) */
} kz_chunk_rid;

/* A batch: the events of one unit of one input. */
typedef struct kz_batch {
    const kz_input *input;     /* where the events come from */
    uint64_t seq;              /* unit number within the input */
    kz_event *events;          /* in physical order */
    size_t nevents;            /* count */
    kz_problem_list problems;  /* problems found in this unit */
    uint64_t used_bytes;       /* bytes that held records (EVTX: used chunk
                                  bytes), for throughput figures */
    uint64_t recovered;        /* events carved from slack */
    uint64_t chunk_first_rid;  /* EVTX: record ids the chunk header
                                  declares (see chunk_rid), else 0 */
    uint64_t chunk_last_rid;   /* (last of them) */
    uint8_t chunk_rid;         /* kz_chunk_rid */
    uint64_t rid_foreign;      /* EVTX: records whose EventRecordID differs
                                  from their record header's identifier
                                  (an export or forwarded events: the ids
                                  are another log's) */
    kz_arena arena;            /* owns events, fields, converted text */
    void *user;                /* set by on_worker, read by on_batch */
} kz_batch;

/* JSON reader options (docs/json-shapes.md). */
typedef struct kz_json_opts {
    const char *time_key;      /* flat shape: time key, NULL = defaults */
    const char *channel_key;   /* flat shape: channel key */
    const char *event_id_key;  /* flat shape: event id key */
    int input_tz_min;          /* offset for times without a zone */
    size_t max_record;         /* bytes of one record (0 = 16 MiB) */
    unsigned max_depth;        /* nesting depth (0 = 64) */
} kz_json_opts;

typedef struct kz_read_stats {
    uint64_t files;            /* inputs recognised and read */
    uint64_t unsupported;      /* files not recognised */
    uint64_t bytes;            /* input bytes read */
    uint64_t used_bytes;       /* bytes that held records */
    uint64_t events;           /* events delivered (duplicates excluded) */
    uint64_t duplicates;       /* events dropped by dedup */
    uint64_t recovered;        /* events carved from slack */
    uint64_t unreadable;       /* unreadable ranges (problems with lost>0) */
    uint64_t unreadable_bytes; /* bytes in them */
    uint64_t no_tz;            /* JSON times without an offset */
    bool dedup_saturated;      /* dedup reached a bound: later records may
                                  have been kept although seen before */
    uint64_t problems[KZ_PROB_COUNT]; /* problems by kind */
} kz_read_stats;

/* Progress snapshot for a progress bar. */
typedef struct kz_progress {
    uint64_t files_done;       /* inputs finished */
    uint64_t bytes_done;       /* bytes consumed */
    uint64_t bytes_total;      /* sum of sizes of known inputs (estimate) */
    uint64_t events;           /* events delivered */
    const char *current;       /* path being read */
} kz_progress;

typedef struct kz_read_opts {
    unsigned threads;          /* 0 = all cores */
    bool dedup;                /* drop duplicate records (default on) */
    bool carve;                /* recover records from EVTX slack */
    unsigned ansi_codepage;    /* 0 = 1252 */
    const kz_names *names;     /* frozen name table, or NULL */
    kz_json_opts json;         /* JSON reader options */
    /* Pool thread: may compute on the batch (render, match) and store the
     * result in b->user. Duplicates are not known yet here. */
    kz_status (*on_worker)(void *ctx, kz_batch *b, unsigned worker);
    /* Calling thread, in input order: events marked KZ_EV_DUPLICATE are to
     * be skipped. A non-OK status stops the run and is returned. */
    kz_status (*on_batch)(void *ctx, kz_batch *b);
    /* Calling thread, in order: a problem not tied to a batch (unsupported
     * file, unreadable directory). input may be NULL. */
    void (*on_problem)(void *ctx, const char *path, const kz_problem *p);
    /* Calling thread: an input is finished (stats so far). */
    void (*on_input_done)(void *ctx, const kz_input *in, uint64_t events);
    /* Calling thread, at most a few times a second. */
    void (*on_progress)(void *ctx, const kz_progress *p);
    /* Frees b->user (pool or calling thread); may be NULL. */
    void (*free_user)(void *ctx, void *user);
    void *ctx;                 /* passed to the callbacks */
} kz_read_opts;

/* Default options: all cores, dedup on, code page 1252. */
void kz_read_opts_default(kz_read_opts *o);

/* Reads every path. Returns KZ_OK when the run completed (even if some
 * input could not be read: see stats->problems), or the first fatal error
 * (a callback's status, OOM). */
kz_status kz_read_run(const char *const *paths, size_t npaths,
                      const kz_read_opts *o, kz_read_stats *stats,
                      kz_error *err);

#endif /* KZ_READ_READ_H */
