/*
 * hunt_int.h - what cmd_hunt.c and hunt_summary.c share: the tallies of
 * a hunt (detections by level, rule and host, first and last time, inputs
 * that yielded nothing) and the end-of-run summary printed from them.
 * Threads: the calling thread of kz_read_run only.
 */
#ifndef KZ_CLI_HUNT_INT_H
#define KZ_CLI_HUNT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/time.h"
#include "correlate/correlate.h"
#include "read/read.h"
#include "sigma/sigma.h"
#include "write/detection.h"
#include "write/tz.h"

/* Distinct hosts counted one by one; past this they are "other hosts". */
#define KZ_HUNT_MAX_HOSTS 4096
/* Inputs without events named in the summary (the rest are counted). */
#define KZ_HUNT_MAX_EMPTY 20

typedef struct kz_hunt_host {
    char *name;              /* Computer as logged (arena), NULL = free */
    size_t len;              /* bytes */
    uint64_t count;          /* detections */
} kz_hunt_host;

typedef struct kz_hunt_tally {
    uint64_t total;          /* detections kept (duplicates excluded) */
    uint64_t by_level[6];    /* by kz_level */
    uint64_t *by_rule;       /* by rule index */
    size_t nrules;           /* entries in by_rule */
    kz_hunt_host *hosts;     /* open-addressing table */
    size_t hosts_cap;        /* slots (power of two) */
    size_t nhosts;           /* used */
    uint64_t other_hosts;    /* detections on hosts past the bound */
    kz_time first, last;     /* detection times (KZ_TIME_NONE = none) */
    char *empty[KZ_HUNT_MAX_EMPTY];       /* inputs that yielded nothing */
    const char *empty_why[KZ_HUNT_MAX_EMPTY]; /* and why (arena) */
    size_t nempty;           /* count (may exceed the array) */
    uint64_t match_problems[3]; /* kz_match_problem counts */
    uint64_t suppressed;     /* detections of rules hidden by a
                                correlation (generate: false) */
    kz_arena arena;          /* host names, paths */
} kz_hunt_tally;

/* Prepares a tally for nrules rules. KZ_ENOMEM on failure. */
kz_status kz_hunt_tally_init(kz_hunt_tally *t, size_t nrules);

/* Frees a tally. Accepts NULL. */
void kz_hunt_tally_fini(kz_hunt_tally *t);

/* Counts one detection kept. */
void kz_hunt_tally_add(kz_hunt_tally *t, const kz_det *d);

/* Records an input that yielded nothing, and why (both copied). */
void kz_hunt_tally_empty(kz_hunt_tally *t, const char *path,
                         const char *why);

/* What the summary needs besides the tally. */
typedef struct kz_hunt_report {
    const kz_read_stats *read;       /* reader figures */
    double elapsed;                  /* seconds */
    int input_tz_min;                /* --input-tz */
    const kz_sigma_set *set;         /* loaded rules, or NULL */
    size_t sources;                  /* rule paths given (pack + -r) */
    const char *skip_report;         /* file listing skipped rules */
    size_t compile_skipped;          /* loaded, but past a matcher bound */
    const kz_sigma_rule *const *rules; /* rule of each index */
    uint64_t written;                /* rows written */
    uint8_t min_level;               /* --min-level */
    const kz_tz *tz;                 /* output zone */
    const kz_corr_stats *corr;       /* correlation counters, or NULL
                                        (no correlations) */
} kz_hunt_report;

/* Writes the hunt summary to f. */
void kz_hunt_summary(FILE *f, const kz_hunt_tally *t,
                     const kz_hunt_report *r);

#endif /* KZ_CLI_HUNT_INT_H */
