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

#include "analytics/analytics.h"
#include "analytics/finding.h"
#include "base/arena.h"
#include "base/strbuf.h"
#include "base/time.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "correlate/correlate.h"
#include "match/match.h"
#include "read/read.h"
#include "sigma/sigma.h"
#include "write/det_store.h"
#include "write/detection.h"
#include "write/timeline.h"
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
    size_t last_host;        /* 1 + slot of the last host counted (runs
                                of detections share their host), 0:
                                none */
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
    const kz_a_stats *analytics;     /* analytics counters, or NULL */
    const uint64_t *findings;        /* findings per catalog entry
                                        (kz_analytic_at), or NULL */
    uint64_t facts;                  /* facts the analytics read */
    bool analytics_off;              /* --no-analytics */
} kz_hunt_report;

/* Writes the hunt summary to f. */
void kz_hunt_summary(FILE *f, const kz_hunt_tally *t,
                     const kz_hunt_report *r);

/* ---- findings (hunt_analytics.c) ---------------------------------- */

/* Where analytic findings go: records of the output store, rule index
 * base + (catalog position of the analytic), counted in the tally. */
typedef struct kz_hunt_findings {
    kz_det_store *store;     /* output store (not finished yet) */
    kz_hunt_tally *tally;    /* counts; may be NULL */
    uint32_t base;           /* rule index of catalog entry 0 */
    const kz_tz *tz;         /* zone of times written in Details, or NULL
                                (UTC) */
    kz_strbuf rec;           /* record being built */
    kz_error err;            /* first store error */
    uint64_t by_analytic[32]; /* findings per catalog position */
} kz_hunt_findings;

/* A kz_finding_sink emit function: ctx is a kz_hunt_findings. Makes a
 * detection record (kz_det_build_pairs) at the finding's event, with the
 * rule index of its catalog entry, and adds it to the store. Errors:
 * KZ_EUSAGE for an id not in the catalog; store errors (message in the
 * findings' err). */
kz_status kz_hunt_emit_finding(void *ctx, const kz_finding *f);

/* The rule of each catalog entry, for the writers (title, id "kz_a_...",
 * author "kizuki", level, tags); static, valid for the process.
 * *n = kz_analytic_count(). */
const kz_sigma_rule *const *kz_hunt_analytic_rules(size_t *n);

/* ---- facts (hunt_analytics.c) ------------------------------------- */

typedef struct kz_hunt_facts kz_hunt_facts;

/* Facts for the engine an (the kinds it reads; it decides which facts
 * are kept, kz_analytics_wants): registers the field names their sources
 * read in names (call before it is frozen) and makes a store (so: spill
 * bound, temporary directory). an must outlive it. NULL with err set on
 * failure. */
kz_hunt_facts *kz_hunt_facts_new(kz_names *names, const kz_analytics *an,
                                 const kz_det_store_opts *so, kz_error *err);

/* Frees it. Accepts NULL. */
void kz_hunt_facts_free(kz_hunt_facts *hf);

/* Pool thread: if ev is an event some source reads, appends its fact
 * record to out and sets *added. scratch is the worker's buffer. m (may
 * be NULL) is the worker's matcher, just run on ev: field texts the rules
 * rendered are taken from its cache instead of being rendered again. */
kz_status kz_hunt_facts_event(const kz_hunt_facts *hf, kz_matcher *m,
                              const kz_event *ev, const kz_det_origin *from,
                              const kz_render_opts *ro, kz_strbuf *out,
                              kz_strbuf *scratch, bool *added);

/* Calling thread, in input order: keeps one fact record of the input
 * named path (records carry no path: it is kept once per input). */
kz_status kz_hunt_facts_add(kz_hunt_facts *hf, const uint8_t *rec,
                            size_t len, const char *path, kz_error *err);

/* After the read: the facts in the total order to the engine, then
 * kz_analytics_finish. Facts kept: *count. */
kz_status kz_hunt_facts_run(kz_hunt_facts *hf, kz_analytics *a,
                            uint64_t *count, kz_error *err);

/* ---- integrity (hunt_integrity.c, the integrity helper's) ---------- */

typedef struct kz_hunt_integrity kz_hunt_integrity;

/* A new integrity tap (config_ignored: reserved, pass NULL); NULL on
 * OOM. */
kz_hunt_integrity *kz_hunt_integrity_new(const char *config_ignored);

/* Frees it. Accepts NULL. */
void kz_hunt_integrity_free(kz_hunt_integrity *in);

/* Sees one batch, in input order (on_batch, calling thread). */
kz_status kz_hunt_integrity_batch(kz_hunt_integrity *in, const kz_batch *b);

/* After the read: emits its findings to sink. */
kz_status kz_hunt_integrity_finish(kz_hunt_integrity *in,
                                   const kz_finding_sink *sink);

/* ---- the driver's extension point (cmd_hunt.c; `investigate`) ------ */

/* Option ids of an extension start here. */
#define KZ_HUNT_EXT_OPT (KZ_OPT_COMMAND_BASE + 200)

/* What the hunt hands to an extension when it is done. */
typedef struct kz_hunt_done {
    const kz_read_stats *read;         /* reader figures */
    const kz_sigma_set *set;           /* loaded rules, or NULL */
    size_t sources;                    /* rule paths loaded (pack + -r) */
    const char *pack;                  /* the rule pack's path, or NULL */
    const char *const *rule_paths;     /* -r paths */
    size_t nrule_paths;
    const kz_sigma_rule *const *rules; /* rule of each output index */
    size_t nrules;                     /* output indexes */
    kz_analytics *an;                  /* analytics engine, or NULL */
    const kz_hunt_tally *tally;        /* detections counted */
    uint64_t written;                  /* timeline rows */
    const kz_tz *tz;                   /* output zone */
    const char *const *paths;          /* input operands */
    size_t npaths;
    int argc;                          /* the command line */
    char **argv;
} kz_hunt_done;

/* A command built on the hunt (one read of the logs). Every callback may
 * be NULL; ctx is passed to each. */
typedef struct kz_hunt_ext {
    const char *name;            /* command name ("investigate") */
    const kz_cli_option *opts;   /* options besides hunt's (ids from
                                    KZ_HUNT_EXT_OPT) */
    size_t nopts;
    void *ctx;
    void (*help)(FILE *f);       /* -h / --help */
    /* an option of opts; returns an exit code */
    int (*on_option)(void *ctx, int id, const char *arg);
    /* after parsing, before the name table freezes (intern field names
     * here); nets are hunt's --internal-nets (valid for the whole run);
     * may set *timeline to the timeline's path (else -o). Returns an exit
     * code. */
    int (*setup)(void *ctx, const kz_cli_common *c, const kz_a_net *nets,
                 size_t nnets, kz_names *names, const char **timeline);
    /* just after setup, before the read: the input operands as given
     * (valid for the whole run) */
    void (*on_paths)(void *ctx, const char *const *paths, size_t n);
    /* pool thread: per batch, *user kept with the batch */
    kz_status (*on_worker)(void *ctx, const kz_batch *b, unsigned worker,
                           void **user);
    /* calling thread, input order: every batch with its user */
    kz_status (*on_batch)(void *ctx, const kz_batch *b, void *user);
    void (*free_user)(void *user);
    /* calling thread: every record of the timeline in the total order
     * (before --min-level), with its rule (NULL if unknown) */
    kz_status (*on_row)(void *ctx, const kz_det *d,
                        const kz_sigma_rule *rule);
    /* after the timeline and the summary; returns an exit code (not OK:
     * it becomes the command's) */
    int (*finish)(void *ctx, const kz_hunt_done *done);
} kz_hunt_ext;

/* The hunt: parses argv (hunt's options plus ext's), reads once, writes
 * the timeline and the summary, then calls ext->finish. ext NULL is
 * `kizuki hunt`. Returns the exit code. */
int kz_hunt_drive(int argc, char **argv, const kz_hunt_ext *ext);

/* Writes hunt's option list (help texts of commands built on it). */
void kz_hunt_help_options(FILE *f);

/* ---- the hunt's state (cmd_hunt.c, hunt_corr.c) -------------------- */

typedef struct hunt_ctx {
    const kz_ruleset *rs;      /* compiled rules (NULL = none) */
    kz_matcher **m;            /* one per worker id */
    kz_strbuf *scratch;        /* one per worker id */
    unsigned nworkers;         /* count */
    kz_render_opts ro;         /* value rendering */
    kz_det_store *store;       /* detections */
    kz_det_dict dict;          /* what their records name (field names,
                                  input paths), shared by the stores */
    kz_hunt_tally tally;       /* counts for the summary */
    kz_cli_progress pg;        /* progress line */
    uint64_t problem_lines;    /* match problems printed */
    int64_t *last_problem;     /* per input: last problem kind, or -1 */
    size_t nlast;              /* entries */
    kz_error err;              /* first store error */
    /* correlations (corr == NULL: the set has none) */
    kz_corr_engine *corr;      /* the engine */
    uint32_t *rf0;             /* per rule: first of its fields in rfn */
    const char **rfn;          /* fields correlations read, per rule */
    int32_t *rfid;             /* their interned ids (KZ_NAME_NONE: not
                                  interned) */
    const kz_sigma_rule **rules; /* rule of each output index: compiled
                                  rules, then correlations */
    size_t nrules;             /* compiled rules */
    kz_det_store *out2;        /* correlation alerts (merged with the
                                  detection store when written) */
    kz_det_store *cstore;      /* matches of correlated rules (also in
                                  store), for the correlation engine */
    unsigned hdr_mask;         /* header_fields some correlation reads */
    const uint32_t *rank;      /* rule ranks of the total order */
    size_t nrank;              /* entries */
    kz_strbuf *ring;           /* CORR_RING recent correlated matches
                                  (records without pairs) */
    uint64_t nring;            /* matches pushed so far */
    const kz_tz *tz;           /* output zone (alert times) */
    kz_strbuf abuf, tbuf;      /* alert building */
    char last_path[1024];      /* input of the last reader problem */
    char last_msg[300];        /* and its text ("kind: message") */
    /* analytics (an == NULL: --no-analytics) */
    kz_analytics *an;          /* the engine */
    kz_hunt_facts *facts;      /* facts store */
    kz_hunt_findings fnd;      /* the findings sink */
    uint64_t nfacts;           /* facts fed */
    kz_hunt_integrity *integ;  /* integrity tap, or NULL */
    const kz_hunt_ext *ext;    /* extension, or NULL (hunt) */
} hunt_ctx;

/* hunt_corr.c: interns the field names the correlations of set read
 * (group-by, alias targets, value fields), before the name table is
 * frozen. KZ_ENOMEM or KZ_OK. */
kz_status kz_hunt_corr_intern(const kz_sigma_set *set, kz_names *names);

/* hunt_corr.c: when set holds correlations, builds the engine over rs
 * (alerts get the output indexes nrules.. of *rules and *rank, both
 * grown; *ncorr set), the per-rule field lists and the alert buffers in
 * h. Returns KZ_EXIT_OK (also with no correlation: h->corr stays NULL),
 * KZ_EXIT_USAGE (a correlation the engine refuses: message printed) or
 * KZ_EXIT_FATAL (OOM). */
int kz_hunt_corr_setup(hunt_ctx *h, const kz_sigma_set *set,
                       const kz_ruleset *rs, const kz_names *names,
                       kz_corr_repeat repeat, const kz_tz *tz,
                       const kz_sigma_rule ***rules, uint32_t **rank,
                       size_t nrules, size_t *ncorr);

/* hunt_corr.c: after the read (h->cstore finished), feeds the matches of
 * correlated rules in the total order to the engine; its alerts go to
 * h->out2, which is then finished and h->cstore freed. */
kz_status kz_hunt_corr_run(hunt_ctx *h, kz_error *err);

/* hunt_corr.c: frees what kz_hunt_corr_setup made (not the stores). */
void kz_hunt_corr_free(hunt_ctx *h);

/* hunt_timeline.c: rank of each of the n rules by rule id (byte order;
 * rules without an id after all others, by index), so ties in time sort
 * the same whatever the load order. malloc'ed; NULL on OOM. */
uint32_t *kz_hunt_make_ranks(const kz_sigma_rule *const *rules, size_t n);

/* hunt_timeline.c: writes the timeline to out: the store's detections,
 * merged with the alerts store's correlation alerts when alerts is not
 * NULL (in the total order); each record also goes to h->ext->on_row.
 * *written counts rows. */
kz_status kz_hunt_write_timeline(const hunt_ctx *h, kz_det_store *store,
                                 kz_det_store *alerts, FILE *out,
                                 const kz_tl_opts *o, uint64_t *written,
                                 kz_error *err);

#endif /* KZ_CLI_HUNT_INT_H */
