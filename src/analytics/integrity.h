/*
 * integrity.h - log integrity (D11): EventRecordID gaps per (host,
 * channel) over the ranges actually read, unreadable ranges, time running
 * backwards, and a coverage note for JSON exports.
 *
 * A pure module: the caller (hunt: src/cli/hunt_integrity.c) feeds it,
 * file by file in input order, each record's header (host, channel,
 * record id, time, position) and the unreadable ranges the reader
 * reported, in physical order within the file. kz_integrity_finish()
 * merges every (host, channel) across files (archive files of one channel
 * join), finds the gaps and emits findings:
 *   kz_a_log_gap        ids missing between two records read, not
 *                       explained by an unreadable range;
 *   kz_a_log_unreadable one per run of unreadable ranges of a file, with
 *                       the record ids it may have held, when known;
 *   kz_a_time_backwards a record older than the newest record before it
 *                       (same file, same key, ids rising) by more than the
 *                       threshold; one per run of such records;
 *   kz_a_json_coverage  one per (host, channel) read from JSON, or from
 *                       EVTX records carrying another log's ids (exports,
 *                       forwarded events): gaps are not evaluated there.
 * Semantics, sources and limits: docs/analytics-integrity.md.
 *
 * Memory: per key a list of intervals of consecutive ids, not ids; every
 * table is capped (kz_integrity_config) and what a cap dropped is counted
 * and written in the findings' Details ("Limits").
 * Threads: one thread.
 */
#ifndef KZ_ANALYTICS_INTEGRITY_H
#define KZ_ANALYTICS_INTEGRITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/finding.h"
#include "base/error.h"
#include "base/time.h"

/* Thresholds and caps. The config file keys (docs/analytics-integrity.md)
 * are the field names prefixed with "integrity.". */
typedef struct kz_integrity_config {
    kz_time backwards_threshold; /* ticks a record may be older than its
                                    predecessor without a finding
                                    (default 1 h) */
    size_t max_keys;             /* (host, channel) pairs (4096) */
    size_t max_intervals;        /* intervals kept per key (65536); past
                                    it the smallest gaps are merged away
                                    and counted as not evaluated */
    size_t max_unreadable;       /* unreadable runs kept (65536) */
    size_t max_files;            /* inputs remembered (1 << 20) */
    size_t max_findings;         /* findings per analytic (10000) */
    size_t max_bytes;            /* bytes of intervals over all keys
                                    (16 MiB; hunt: a quarter of
                                    tables.max_bytes); past it a key that
                                    must grow merges its smallest gaps
                                    instead (counted like max_intervals) */
} kz_integrity_config;

/* Fills c with the defaults above. */
void kz_integrity_config_default(kz_integrity_config *c);

/* Sets one key from `key = value` text: "integrity.backwards_threshold"
 * (seconds, or a number with s/m/h/d), "integrity.max_keys",
 * "integrity.max_intervals", "integrity.max_unreadable",
 * "integrity.max_files", "integrity.max_findings" (positive integers).
 * The "integrity." prefix may be omitted. Returns KZ_OK, KZ_EUSAGE for a
 * bad value (err says why), KZ_EUNSUPPORTED for a key that is not one of
 * these (err not set: the caller may try other modules). */
kz_status kz_integrity_config_set(kz_integrity_config *c, const char *key,
                                  const char *value, kz_error *err);

typedef struct kz_integrity kz_integrity;

/* A new, empty analysis with config c (copied; NULL = defaults). NULL on
 * OOM. */
kz_integrity *kz_integrity_new(const kz_integrity_config *c);

/* Frees it. Accepts NULL. */
void kz_integrity_free(kz_integrity *g);

/* Starts the next input: its ordinal, argument index, display path
 * (copied) and whether it is EVTX (gaps evaluated) or not (JSON: coverage
 * note only). Inputs come in input order; records and unreadable ranges
 * that follow belong to it. KZ_ENOMEM on OOM; past max_files the input's
 * records are counted as dropped. */
kz_status kz_integrity_file(kz_integrity *g, uint32_t file_index,
                            uint32_t arg_index, const char *path,
                            bool evtx);

/* One record's header. Strings are borrowed for the call. */
typedef struct kz_integrity_rec {
    const char *computer;   /* host (may be NULL: "") */
    size_t computer_len;    /* its bytes */
    const char *channel;    /* channel (may be NULL: "") */
    size_t channel_len;     /* its bytes */
    uint64_t record_id;     /* EventRecordID, when has_record_id */
    kz_time time;           /* TimeCreated, or KZ_TIME_NONE */
    uint64_t position;      /* byte offset (EVTX) or ordinal (JSON) */
    uint32_t event_id;      /* when has_event_id */
    bool has_record_id;     /* record_id is set */
    bool has_event_id;      /* event_id is set */
} kz_integrity_rec;

/* One record of the current input, in physical order (duplicates
 * already skipped by the caller). KZ_ENOMEM on OOM. */
kz_status kz_integrity_record(kz_integrity *g, const kz_integrity_rec *r);

/* Says whether the records that follow (until changed or the next input)
 * carry another log's EventRecordIDs: an EVTX export or forwarded events,
 * whose EventRecordID differs from the record's own identifier. Such
 * records get the coverage note of JSON inputs instead of gap findings. */
void kz_integrity_foreign(kz_integrity *g, bool foreign);

/* Ids first..last are declared by the header (checksum right) of the
 * chunk the records just fed came from, which had no damage, but were not
 * in it. Those of them outside the span of ids read for the key (over all
 * inputs) are missing: records deleted at the start or end of a log show
 * only this way (inside the span they are gaps anyway). Applies to the key
 * of the last record fed. */
void kz_integrity_declared(kz_integrity *g, uint64_t first, uint64_t last);

/* An unreadable range of the current input, in physical order among the
 * records. rid_known: the chunk header declared the record ids
 * first_rid..last_rid for the unit it lies in. */
typedef struct kz_integrity_unread {
    uint64_t offset;        /* byte offset of the range (or a line) */
    uint64_t lost;          /* bytes lost (> 0) */
    int64_t chunk;          /* EVTX chunk number, or -1 */
    const char *why;        /* reason (copied, truncated to 160 bytes) */
    bool rid_known;         /* first_rid..last_rid are set */
    uint64_t first_rid, last_rid; /* ids the chunk header declares */
} kz_integrity_unread;

/* Notes an unreadable range of the current input. A run of ranges with
 * no record read between them is one finding. KZ_ENOMEM on OOM. */
kz_status kz_integrity_unreadable(kz_integrity *g,
                                  const kz_integrity_unread *u);

/* Counters, for tests and the summary. */
typedef struct kz_integrity_stats {
    uint64_t records;          /* records seen */
    uint64_t keys;             /* (host, channel) pairs */
    uint64_t gaps;             /* gap findings (before the findings cap) */
    uint64_t missing;          /* ids in them */
    uint64_t unreadable;       /* unreadable findings */
    uint64_t unreadable_gaps;  /* gaps fully explained by unreadable
                                  ranges */
    uint64_t restarts;         /* id order against time order between
                                  two intervals (counter reset): no gap */
    uint64_t backwards;        /* time-backwards findings */
    uint64_t json_keys;        /* coverage findings */
    uint64_t dropped_keys;     /* records of keys past max_keys */
    uint64_t dropped_records;  /* records not tracked (keys, files cap) */
    uint64_t coarsened_gaps;   /* gaps merged away by max_intervals or
                                  max_bytes */
    uint64_t interval_bytes;   /* most bytes the intervals held */
    uint64_t dropped_unreadable; /* unreadable runs past the cap */
    uint64_t dropped_findings; /* findings past max_findings */
} kz_integrity_stats;

/* Analyses everything fed and emits the findings to sink (gaps and
 * coverage notes per key in first-seen order, then unreadable runs, then
 * time-backwards runs). Call once. Returns the sink's first non-OK
 * status, or KZ_ENOMEM. */
kz_status kz_integrity_finish(kz_integrity *g, const kz_finding_sink *sink);

/* Counters (complete after kz_integrity_finish). */
void kz_integrity_get_stats(const kz_integrity *g, kz_integrity_stats *s);

#endif /* KZ_ANALYTICS_INTEGRITY_H */
