/*
 * match.h - a compiled rule set and the per-thread matcher that runs it
 * over events.
 *
 * Compile once (kz_ruleset_compile): every loaded rule (KZ_SG_RULE) of a
 * finished kz_sigma_set is mapped to its targets (logsource.h); each
 * target's detection becomes predicates and a small boolean program over
 * predicate bits. Targets are indexed by (channel, event id) in a dispatch
 * table, so an event meets only rules that can match it. Within one
 * dispatch bucket all pattern predicates on one field are compiled into
 * one Vectorscan database, so a field is scanned once per event whatever
 * the number of rules; regexes use PCRE2 with JIT, unanchored, with match
 * and depth limits; non-ASCII caseless patterns go through PCRE2's UTF
 * mode. Only the fields some candidate rule reads are decoded.
 *
 * Field names (docs/sigma.md): rule field names are added to the name
 * table given to compile (case-insensitively: `FileName` and `Filename`
 * are one field); the caller then freezes the table and passes it to the
 * reader. System fields (EventID, Channel, Provider_Name, Computer, Level,
 * EventRecordID, ...) are read from the typed header. Unnamed <Data>
 * elements are the array `Data`: any element may match.
 *
 * Threads: a compiled kz_ruleset is immutable and shared by all threads;
 * each thread uses its own kz_matcher.
 */
#ifndef KZ_MATCH_MATCH_H
#define KZ_MATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "event/event.h"
#include "event/names.h"
#include "event/value.h"
#include "sigma/sigma.h"

typedef struct kz_ruleset kz_ruleset;
typedef struct kz_matcher kz_matcher;

/* Compile options. */
typedef struct kz_match_opts {
    uint32_t pcre_match_limit;   /* PCRE2 match limit (0 = 1,000,000) */
    uint32_t pcre_depth_limit;   /* PCRE2 depth limit (0 = 10,000) */
    size_t max_value;            /* bytes of a value that are scanned
                                    (0 = 1 MiB); longer values are cut
                                    and counted */
    const char *cache_dir;       /* compiled-database cache, or NULL */
    unsigned threads;            /* threads compiling the databases
                                    (0 = one per core, at most 8) */
    kz_render_opts render;       /* value rendering (ANSI code page) */
} kz_match_opts;

/* Figures of a compiled set (for the summary and the benchmarks). */
typedef struct kz_ruleset_stats {
    size_t rules;          /* rules compiled */
    size_t targets;        /* targets (rule x alternate) */
    size_t buckets;        /* dispatch buckets */
    size_t patterns;       /* pattern predicates in Vectorscan */
    size_t regexes;        /* PCRE2 predicates */
    size_t fields;         /* distinct fields read */
    double compile_s;      /* seconds spent compiling */
    bool from_cache;       /* databases came from the cache */
} kz_ruleset_stats;

/* Compiles the loaded rules of set (which must be finished and must
 * outlive the ruleset) and adds the field names they read to names, which
 * must not be frozen yet. A rule that cannot compile (a per-rule bound,
 * a regex PCRE2 refuses...) is left out and listed by kz_ruleset_skipped;
 * the others still compile. Fails (message in err) only on out of memory
 * or a bound of the whole set (2^24 predicates). */
kz_status kz_ruleset_compile(const kz_sigma_set *set, kz_names *names,
                             const kz_match_opts *o, kz_ruleset **out,
                             kz_error *err);

/* Rules left out by kz_ruleset_compile: returns their count and, when
 * i < count, sets *r to the i-th one (set order) and *why to the reason
 * (no path; owned by rs). r or why may be NULL. */
size_t kz_ruleset_skipped(const kz_ruleset *rs, size_t i,
                          const kz_sigma_rule **r, const char **why);

/* Frees a ruleset. Accepts NULL. */
void kz_ruleset_free(kz_ruleset *rs);

/* Figures of rs. */
void kz_ruleset_stats_get(const kz_ruleset *rs, kz_ruleset_stats *st);

/* Number of rules in rs; indexes 0..n-1 name them in kz_match_hit. */
size_t kz_ruleset_rule_count(const kz_ruleset *rs);

/* The rule of index i. */
const kz_sigma_rule *kz_ruleset_rule(const kz_ruleset *rs, size_t i);

/* A per-thread matcher for rs (scratch space); NULL on OOM. */
kz_matcher *kz_matcher_new(const kz_ruleset *rs);

/* Frees a matcher. Accepts NULL. */
void kz_matcher_free(kz_matcher *m);

/* A problem met while matching one event. */
typedef enum kz_match_problem {
    KZ_MP_REGEX_LIMIT = 0,  /* PCRE2 hit its match/depth limit: the
                               predicate counted as not matching */
    KZ_MP_VALUE_CUT,        /* a value longer than max_value was cut */
    KZ_MP_BAD_VALUE,        /* a value could not be rendered */
} kz_match_problem;

/* Callbacks of kz_match_event. */
typedef struct kz_match_cb {
    /* A rule matched ev (rule index, in increasing order per event). */
    kz_status (*on_hit)(void *ctx, const kz_event *ev, uint32_t rule);
    /* A problem (rule = the rule concerned, or UINT32_MAX). May be NULL. */
    void (*on_problem)(void *ctx, const kz_event *ev, uint32_t rule,
                       kz_match_problem p);
    void *ctx;
} kz_match_cb;

/* Matches one event against the candidate rules of its (channel, event
 * id) and calls on_hit once per matching rule (a rule matching through
 * two targets is reported once). Returns on_hit's first error or KZ_OK. */
kz_status kz_match_event(kz_matcher *m, const kz_event *ev,
                         const kz_match_cb *cb);

/* Counters of a matcher (events seen, candidates, fields rendered...). */
typedef struct kz_matcher_stats {
    uint64_t events;        /* events given */
    uint64_t dispatched;    /* events with >= 1 candidate rule */
    uint64_t candidates;    /* candidate rule evaluations */
    uint64_t renders;       /* field values rendered */
    uint64_t hits;          /* rule hits */
    uint64_t regex_limits;  /* KZ_MP_REGEX_LIMIT count */
} kz_matcher_stats;

/* Adds m's counters to *st. */
void kz_matcher_stats_add(const kz_matcher *m, kz_matcher_stats *st);

/* The text of the first data field of ev whose name has interned id id,
 * from the matcher's per-event render cache (rendered now if no rule read
 * it yet), when ev is the event of m's last kz_match_event and was
 * dispatched to some rule: the same text rules matched (cut at
 * max_value, invalid UTF-8 repaired). *p is valid until the next call on
 * m. False otherwise (absent, null or unrenderable field, id not read by
 * any rule, another event): the caller then renders the field itself.
 * Lets other consumers of the event (analytics facts) skip a second
 * rendering. */
bool kz_matcher_text(kz_matcher *m, const kz_event *ev, int32_t id,
                     const char **p, size_t *n);

/* The text of data field i of ev (ev->fields[i]) when the matcher already
 * rendered it for ev, the event of m's last kz_match_event (also from
 * its callbacks), and the text is exactly what kz_value_render gives with
 * the rule set's render options: neither cut at max_value nor repaired.
 * *p is valid until the matcher runs again (the next kz_match_event, or
 * the rest of this one once a callback returns). False
 * otherwise (never renders): the caller renders the field itself. Lets
 * detection records skip a second rendering of the fields rules read. */
bool kz_matcher_field_text(const kz_matcher *m, const kz_event *ev, size_t i,
                           const char **p, size_t *n);

#endif /* KZ_MATCH_MATCH_H */
