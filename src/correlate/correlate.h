/*
 * correlate.h - Sigma correlation rules (sigma-notes.md 3) evaluated over
 * rule matches: sliding windows per (correlation, group), chaining, and
 * the suppression of referenced rules (generate: false).
 *
 * Input: the caller feeds every match of a base rule (an index of the
 * compiled kz_ruleset) with its event time, a tie-break key, an opaque
 * reference (handed back in alerts) and the (name, value) pairs of the
 * fields the correlations read (group-by, aliased and value fields; extra
 * pairs are ignored). Matches of rules kz_corr_wants() rejects may be
 * skipped. Matches must
 * arrive in non-decreasing time order (sort by (time, key) first);
 * kz_corr_add returns KZ_EUSAGE for a match older than the previous one.
 *
 * Semantics (docs/internals/correlate.md): a group-by field missing from
 * a match is the value "-" (KZ_CORR_MISSING). Two matches exactly
 * timespan apart are in one window. gt/gte and temporal conditions are
 * evaluated on every match, fire, then reset the group; a condition with
 * lt/lte/eq/neq is evaluated once when the group's window (opened by its
 * first match) closes: when a later match is more than timespan after the
 * opening, or at kz_corr_finish. A correlation's alert is a match of the
 * correlations that reference it (chaining), carrying its group-by pairs.
 *
 * Bounds: at most o->max_groups groups per correlation and
 * o->max_entries matches per group window (0 = KZ_CORR_MAX_GROUPS,
 * KZ_CORR_MAX_ENTRIES), KZ_CORR_MAX_TOTAL entries in the whole engine, a
 * group-by value cut at KZ_CORR_VALUE_MAX bytes, chains at most
 * KZ_CORR_MAX_DEPTH deep. Past a bound the match (or the oldest entry) is
 * dropped and counted in kz_corr_stats; memory never grows further.
 *
 * Ownership: the engine borrows set and rs (they must outlive it) and
 * copies what it keeps of a match (values hashed or copied; the ref
 * pointer is kept as given). Alert contents are valid during the callback.
 * Threads: one engine is used by one thread.
 */
#ifndef KZ_CORRELATE_CORRELATE_H
#define KZ_CORRELATE_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/time.h"
#include "match/match.h"
#include "sigma/sigma.h"

#define KZ_CORR_MAX_GROUPS 10000     /* groups per correlation */
#define KZ_CORR_MAX_ENTRIES 4096     /* matches per group window */
#define KZ_CORR_MAX_TOTAL 2000000    /* window entries in the engine */
#define KZ_CORR_VALUE_MAX 1024       /* bytes of a group-by value */
#define KZ_CORR_MAX_DEPTH 16         /* correlation chain depth */
#define KZ_CORR_MAX_REFS 10          /* match references in an alert */
#define KZ_CORR_MISSING "-"          /* value of a missing group-by field */

typedef struct kz_corr_engine kz_corr_engine;

/* A field of a match: name (compared ASCII case-insensitively) and value
 * (NUL-terminated; NULL = absent). */
typedef struct kz_corr_field {
    const char *name;
    const char *value;
} kz_corr_field;

/* One match of a base rule. */
typedef struct kz_corr_match {
    uint32_t rule;                 /* rule index in the kz_ruleset */
    kz_time time;                  /* event time (UTC ticks) */
    uint64_t key;                  /* tie-break (e.g. input position) */
    const void *ref;               /* caller's reference, given back */
    const kz_corr_field *fields;   /* fields of the event */
    size_t nfields;
} kz_corr_match;

/* One firing of a correlation. */
typedef struct kz_corr_alert {
    const kz_sigma_rule *rule;     /* the correlation rule */
    size_t corr;                   /* its index (kz_corr_count order) */
    kz_time time;                  /* time of the completing match */
    const kz_corr_field *group;    /* group-by pairs (alias names) */
    size_t ngroup;
    double value;                  /* the aggregate compared */
    kz_time first, last;           /* window's first and last match */
    const char *const *rule_ids;   /* referenced rules that matched (id,
                                      else name, else title) */
    size_t nrule_ids;
    const void *refs[KZ_CORR_MAX_REFS]; /* first contributing matches */
    size_t nrefs;
    uint64_t total;                /* contributing matches in all */
    const void *completing;        /* reference of the match that
                                      completed it (the window's last) */
    bool suppressed;               /* referenced by a correlation with
                                      generate: false (an inner alert) */
} kz_corr_alert;

/* Options. */
/* What a monotone correlation does after it fires for a group
 * (sigma-notes.md §3 Windows, 2). */
typedef enum kz_corr_repeat {
    KZ_CORR_RESET = 0,   /* empty the group: the next window starts after
                            the firing one (Hayabusa's behaviour) */
    KZ_CORR_SUPPRESS,    /* keep sliding, but alert for the group at most
                            once per timespan: firings within one timespan
                            of the last alert are counted, not delivered */
} kz_corr_repeat;

typedef struct kz_corr_opts {
    /* Called once per alert; a non-OK status stops kz_corr_add/finish
     * and is returned. */
    kz_status (*on_alert)(void *ctx, const kz_corr_alert *a);
    void *ctx;
    size_t max_groups;             /* 0 = KZ_CORR_MAX_GROUPS */
    size_t max_entries;            /* 0 = KZ_CORR_MAX_ENTRIES */
    kz_corr_repeat repeat;         /* after a firing (default reset) */
} kz_corr_opts;

/* Counters (bounds reached). */
typedef struct kz_corr_stats {
    uint64_t matches;              /* matches given */
    uint64_t alerts;               /* alerts delivered */
    uint64_t dropped_groups;       /* matches dropped: group cap */
    uint64_t dropped_entries;      /* entries dropped: entry caps */
    uint64_t cut_values;           /* group-by values cut */
    uint64_t skipped_values;       /* value_* matches without a usable
                                      field (skipped) */
    uint64_t repeats_suppressed;   /* suppress mode: matches within a
                                      timespan of their group's last
                                      alert (added to the window, not
                                      evaluated: no alert possible) */
} kz_corr_stats;

/* Builds the engine for every correlation of set: resolves `rules` (by
 * id, then name; base rules through rs, correlations for chaining),
 * group-by fields and aliases. References that resolve to nothing are
 * ignored (the loader reports them). Fails with KZ_EFORMAT on a cycle or
 * a chain deeper than KZ_CORR_MAX_DEPTH, KZ_ENOMEM on OOM (message in
 * err). o may be NULL (no callback, default bounds). */
kz_corr_engine *kz_corr_new(const kz_sigma_set *set, const kz_ruleset *rs,
                            const kz_corr_opts *o, kz_error *err);

/* Frees the engine. Accepts NULL. */
void kz_corr_free(kz_corr_engine *e);

/* Number of correlations in the engine. */
size_t kz_corr_count(const kz_corr_engine *e);

/* Whether rule index `rule` feeds any correlation (so its matches should
 * be given to kz_corr_add). */
bool kz_corr_wants(const kz_corr_engine *e, uint32_t rule);

/* The fields the correlations reading base rule `rule` need from its
 * matches: their group-by fields (aliases resolved for that rule) and
 * value fields, unique (ASCII case-insensitive), at most max into out
 * (strings borrowed from the rule set). Returns the count; 0 when no
 * correlation reads the rule. */
size_t kz_corr_rule_fields(const kz_corr_engine *e, uint32_t rule,
                           const char **out, size_t max);

/* Whether base rule `rule`'s own detections are suppressed: some
 * correlation referencing it has generate: false (the default). */
bool kz_corr_suppressed(const kz_corr_engine *e, uint32_t rule);

/* Adds one match. KZ_EUSAGE (nothing done) when m->time is before the
 * previous match's or the rule index is out of range; otherwise KZ_OK or
 * the callback's status / KZ_ENOMEM. */
kz_status kz_corr_add(kz_corr_engine *e, const kz_corr_match *m);

/* End of input: closes every open window (lt/lte/eq/neq conditions).
 * Further kz_corr_add calls return KZ_EUSAGE. */
kz_status kz_corr_finish(kz_corr_engine *e);

/* Counters of e. */
void kz_corr_stats_get(const kz_corr_engine *e, kz_corr_stats *st);

#endif /* KZ_CORRELATE_CORRELATE_H */
