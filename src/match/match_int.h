/*
 * match_int.h - private structures of the matcher: the compiled ruleset
 * (predicates, condition nodes, field slots, dispatch buckets) and the
 * per-thread matcher state. See docs/internals/match.md.
 *
 * Numbering: targets are numbered in rule order (all targets of rule i
 * come before those of rule i+1), so sorting candidate targets by number
 * sorts hits by rule index and a rule's targets are adjacent.
 * Threads: a kz_ruleset is immutable after compile; a kz_matcher belongs
 * to one thread.
 */
#ifndef KZ_MATCH_MATCH_INT_H
#define KZ_MATCH_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/strbuf.h"
#include "match/match.h"
#include "sigma/ast.h"

/* Bounds (documented in docs/internals/match.md). */
#define MT_MAX_DEPTH 256         /* condition nesting depth */
#define MT_MAX_PREDS (1u << 24)  /* predicates in a ruleset */

/* Predicate kinds. Only MP_HS predicates are set by scans (they and
 * prefiltered MP_PCRE ones, via their literal, trigger a
 * target's evaluation); the others are computed on demand. */
typedef enum mt_pkind {
    MP_HS = 0,   /* glob compiled into its field's Vectorscan database */
    MP_PCRE,     /* rule regex, or glob Vectorscan refused */
    MP_ANY,      /* glob of only `*`: any value */
    MP_EMPTY,    /* empty glob: the empty value */
    MP_FALSE,    /* can never match (glob with invalid UTF-8) */
    MP_NUM,      /* numeric comparison */
    MP_CIDR,     /* address in network */
    MP_EXISTS,   /* presence */
    MP_NULL,     /* absent or null */
    MP_REF,      /* compare with another field */
    MP_TIME,     /* timestamp component */
} mt_pkind;

/* Anchors of a literal pattern (pat_lit): must start at offset 0 / end
 * at the end of the value. */
#define MT_LIT_START 1u
#define MT_LIT_END 2u

/* Special slot of keyword predicates (field NULL): every data field. */
#define MT_SLOT_KEYWORD 0

/* One predicate: one resolved value tested against one field. */
typedef struct mt_pred {
    uint8_t kind;              /* mt_pkind */
    uint32_t slot;             /* field slot (MT_SLOT_KEYWORD: keywords) */
    uint32_t ref;              /* MP_REF: slot of the other field */
    uint32_t target;           /* target owning it */
    bool trigger;              /* MP_HS, or MP_PCRE with pre, in its
                                  target's trigger set: when
                                  it fires, the target is evaluated */
    bool jit;                  /* MP_PCRE: re has JIT code, so
                                  pcre2_jit_match runs it directly */
    uint16_t gate;             /* MP_PCRE rule regex: 1 + its gate in
                                  rs->gates, or 0 */
    const kz_sg_value *v;      /* the value (rule arena) */
    pcre2_code *re;            /* MP_PCRE */
    uint32_t pat;              /* MP_HS: its pattern id */
    uint32_t pre;              /* MP_PCRE: 1 + id of a literal pattern the
                                  regex cannot match without (prefilter in
                                  the slot's literal database), or 0 */
} mt_pred;

/* Gate of a rule regex: a run of at least 2 literal characters without
 * ASCII letters that every match contains (so case does not matter): a
 * value without it is not given to PCRE2 (one SSE2 pass for its first
 * two bytes). None when PCRE2 already searches a known first byte that
 * is not a letter (its own memchr costs less). At most MT_MAX_GATES per
 * ruleset. */
typedef struct mt_gate {
    uint32_t off, len;         /* bytes in rs->gate_text (len 0: none) */
    pcre2_code *anch;          /* word start (mt_regex_word_start): the
                                  regex compiled anchored, or NULL */
    uint8_t wc;                /* (the character after its `\w+`) */
} mt_gate;

#define MT_MAX_GATES 65535u

/* System header fields readable by name (docs/sigma.md). */
typedef enum mt_sys {
    SYS_NONE = -1,
    SYS_EVENTID = 0, SYS_CHANNEL, SYS_COMPUTER, SYS_PROVIDER,
    SYS_PROVIDER_GUID, SYS_RECORDID, SYS_LEVEL, SYS_TASK, SYS_OPCODE,
    SYS_KEYWORDS, SYS_VERSION, SYS_PROCESSID, SYS_THREADID, SYS_USERID,
    SYS_TIMECREATED, SYS_EVENTSOURCE, SYS_COUNT
} mt_sys;

/* A field read by some rule: its name id, system fallback and database. */
typedef struct mt_slot {
    const char *name;          /* first spelling (rule arena) */
    int32_t id;                /* interned name id */
    int8_t sys;                /* mt_sys, SYS_NONE if not a system field */
    hs_database_t *db;         /* MP_HS regex patterns on it, or NULL */
    hs_database_t *ldb;        /* MP_HS caseless ASCII literals, or NULL
                                  (anchors in pat_lit) */
    size_t npat;               /* patterns in db and ldb */
    uint32_t exact_max;        /* longest exact caseless ASCII literal of
                                  the slot (in the exact table), 0: none */
    uint64_t exact_lens;       /* bit min(length, 63) set for each of
                                  them: other lengths skip the lookup */
    uint32_t short0, nshort;   /* its short literals: shorts[short0 ..] */
    uint32_t sg0, nsg;         /* groups of its unanchored ones: sgroups[] */
    uint32_t ptab;             /* 1 + its pair table in rs->ptabs (more
                                  than MT_SHORT_GROUPS groups), or 0 */
    bool joined;               /* the values of an event may be scanned as
                                  one text, NUL-separated: only ldb, whose
                                  literals are unanchored and NUL-free */
} mt_slot;

/* Exact caseless ASCII literal (glob without `*`): looked up in a hash
 * table of the ruleset instead of a literal database. */
typedef struct mt_exact {
    uint32_t pat;              /* pattern id + 1 (0: empty entry) */
    uint32_t slot;
    uint32_t off;              /* lowercase text in exact_text */
    uint32_t len;
    uint32_t fp;               /* high half of its mt_exact_hash: most
                                  probes end here, before the text */
} mt_exact;

/* Short literals (at most MT_SHORT_MAX bytes, caseless ASCII, not
 * exact) are not compiled into the literal database, where they cost
 * most of its scan (a 1- or 2-byte literal occurs almost everywhere):
 * the matcher tests them itself (eval.c, short_scan). */
#define MT_SHORT_MAX 2

typedef struct mt_short {
    uint32_t pat;              /* pattern id */
    uint8_t anc;               /* MT_LIT_START | MT_LIT_END, or 0 */
    uint8_t len;               /* 1 or 2 */
    uint8_t b[2];              /* lowercase bytes */
} mt_short;

/* The unanchored short literals of a slot that start with one byte:
 * shorts[first .. first + count), sorted by length then second byte. */
typedef struct mt_sgroup {
    uint8_t b0;                /* lowercase first byte */
    bool one;                  /* shorts[first] is the 1-byte literal */
    int16_t b1;                /* no 1-byte literal and every 2-byte one
                                  goes on with this byte, else -1 */
    uint32_t first, count;
    uint64_t second[4];        /* bitset of the second bytes */
} mt_sgroup;

/* A slot whose unanchored short literals start with at most
 * MT_SHORT_GROUPS distinct bytes searches them one first byte at a time
 * (an SSE2 pass per group); one with more uses a pair table: one pass
 * over the value tests each position's two bytes in a 65,536-bit table
 * (8 KiB), then the candidates against the group of the first byte. */
#define MT_SHORT_GROUPS 8

typedef struct mt_ptab {
    uint64_t bits[1024];       /* bit b0 << 8 | b1 set when a literal of
                                  the slot may start at a position holding
                                  bytes b0, b1 (any case; a 1-byte literal
                                  sets every b1): the row of b0 is
                                  bits[4 * b0 .. 4 * b0 + 3] */
    uint32_t grp[256];         /* byte (any case) -> 1 + index of its
                                  group in rs->sgroups, or 0 */
} mt_ptab;

/* A matcher's working copy of a pair table: the rows of first bytes
 * whose literals have all reported this event are cleared as they
 * report (a 1-byte literal `a` would otherwise make every `a` a
 * candidate), and restored at the next event. */
typedef struct mt_plive {
    uint32_t epoch;            /* event of the cleared rows, 0: none */
    uint32_t ndirty;
    uint8_t dirty[256];        /* rows that differ from the table */
    uint64_t isdirty[4];       /* (as a bitset) */
    uint64_t bits[1024];
} mt_plive;

/* Condition node operators. */
enum { N_PRED = 0, N_AND, N_OR, N_NOT, N_TRUE, N_FALSE };

typedef struct mt_node {
    uint8_t op;                /* N_* */
    uint32_t n;                /* N_AND/N_OR: kids; N_NOT: 1 */
    uint32_t a;                /* N_PRED: pred; else first kid in kids[] */
} mt_node;

/* One compiled target (rule x logsource alternate). */
typedef struct mt_target {
    uint32_t rule;             /* rule index */
    uint32_t root;             /* root node */
    uint32_t pred0;            /* first predicate (preds are contiguous) */
    uint32_t npred;            /* predicates */
    bool always;               /* no trigger set: evaluated on every
                                  event of its buckets */
} mt_target;

/* The candidates of one (channel, event id). */
typedef struct mt_bucket {
    uint64_t *member;          /* bitset over targets */
    uint32_t *always;          /* targets evaluated on every event, sorted */
    size_t nalways;
    uint32_t *slots;           /* slots read by trigger predicates: scanned
                                  first (others on demand) */
    size_t nslots;
    bool keywords;             /* keyword trigger predicates */
    size_t ntargets;           /* targets in the bucket */
} mt_bucket;

typedef struct mt_eidb {
    uint32_t eid;
    uint32_t bucket;
} mt_eidb;

/* One channel (ASCII case-folded). */
typedef struct mt_chan {
    char *name;                /* folded name */
    size_t len;
    uint32_t any;              /* bucket for ids without a bucket */
    mt_eidb *eids;             /* sorted by eid */
    size_t neids;
} mt_chan;

/* A rule that could not compile, and why (kz_ruleset_skipped). */
typedef struct mt_skip {
    const kz_sigma_rule *rule;
    const char *why;               /* reason without the path (arena) */
} mt_skip;

struct kz_ruleset {
    mt_skip *skip;                 /* rules skipped at compile */
    size_t nskip, cap_skip;
    const kz_sigma_rule **rules;   /* compiled rules, in set order */
    size_t nrules;
    mt_target *targets;
    size_t ntargets;
    mt_pred *preds;
    size_t npreds;
    mt_node *nodes;
    size_t nnodes;
    uint32_t *kids;
    size_t nkids;
    mt_slot *slots;                /* [0] = keywords */
    size_t nslots;
    int32_t *slot_of_id;           /* name id -> slot or -1 */
    size_t nids;                   /* entries of slot_of_id */
    uint32_t *pat_pred0;           /* pattern id -> first in pat_preds */
    uint32_t *pat_preds;           /* predicates of each pattern (freed
                                      once pat_trig is built) */
    uint32_t *pat_trig0;           /* pattern id -> first in pat_trig */
    uint32_t *pat_trig;            /* targets a pattern triggers: those of
                                      its trigger predicates, unique */
    uint32_t *pat_lit;             /* pattern id -> 0 (regex database) or
                                      literal length << 2 | MT_LIT_* */
    size_t npat;                   /* patterns over all databases */
    size_t npat_preds;
    mt_exact *exact;               /* open addressing by mt_exact_hash */
    size_t exact_cap;              /* power of two, 0: no table */
    char *exact_text;              /* lowercase literal bytes */
    mt_short *shorts;              /* short literals, by slot */
    size_t nshorts;
    mt_sgroup *sgroups;            /* their unanchored groups, by slot */
    size_t nsgroups;
    mt_ptab *ptabs;                /* pair tables (mt_slot.ptab) */
    size_t nptabs;
    mt_gate *gates;                /* rule regexes' gates (mt_pred.gate) */
    size_t ngates;
    char *gate_text;
    mt_chan *chans;
    size_t nchans;
    uint32_t *chan_hash;           /* open addressing: chan index + 1 */
    size_t chan_slots;             /* power of two */
    mt_bucket *buckets;
    size_t nbuckets;
    hs_scratch_t *proto;           /* scratch prototype for all dbs */
    pcre2_match_context *mctx;     /* limits (copied per matcher) */
    kz_match_opts o;
    kz_ruleset_stats st;
    kz_arena arena;                /* targets from kz_logsource_map */
};

/* Render cache entry of one data field (or system field). */
typedef struct mt_rc {
    uint32_t stamp;            /* epoch of the entry */
    uint32_t off;              /* offset in m->buf */
    uint32_t len;              /* bytes */
    uint8_t ok;                /* 0: null or unrenderable */
    uint8_t exact;             /* the text is kz_value_render's as is
                                  (neither cut nor repaired) */
} mt_rc;

struct kz_matcher {
    const kz_ruleset *rs;
    hs_scratch_t *scratch;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    uint32_t epoch;            /* event counter (>= 1) */
    uint32_t *pst;             /* per pred (not MP_HS): epoch << 1 | value */
    uint32_t *patst;           /* per pattern: epoch when reported */
    uint32_t *tst;             /* per target: epoch when queued */
    uint32_t *trig;            /* queued targets */
    size_t ntrig;
    uint32_t *head_st;         /* per slot: epoch of head[] */
    uint32_t *scan_st;         /* per slot: epoch when scanned */
    bool queue;                /* scans queue targets (not on demand) */
    int32_t *head;             /* per slot: first data field index */
    int32_t *next;             /* per data field: next same slot */
    int32_t *fslot;            /* per data field: slot or -1 */
    mt_rc *rc;                 /* per data field render cache */
    size_t fcap;               /* entries of next/fslot/rc */
    mt_rc sys[SYS_COUNT];      /* system field cache */
    bool indexed;              /* field index built for this event */
    kz_strbuf buf;             /* rendered values */
    kz_strbuf tmp;             /* repair / scratch */
    kz_strbuf refb;            /* fieldref: the other field's value */
    const hs_database_t *cur_db; /* database being scanned */
    const hs_database_t *cur_ldb; /* literal database being scanned */
    uint32_t cur_slot;         /* slot being scanned */
    size_t scan_len;           /* bytes of the value being scanned */
    kz_strbuf fold;            /* value with U+017F, U+212A folded */
    kz_strbuf join;            /* values of a joined slot, NUL-separated */
    mt_plive *plive;           /* per pair table of rs: working copy */
    char ip_text[48];          /* last text v_cidr parsed (rules list many */
    uint8_t ip_len;            /* networks for one address field): its */
    int8_t ip_fam;             /* length, family (0: not an address) */
    uint8_t ip_addr[16];       /* and address (mt_ip_parse) */
    const kz_event *ev;        /* event being matched */
    const kz_match_cb *cb;
    const mt_bucket *bucket;
    uint32_t last_chan;        /* channel of the previous event */
    kz_matcher_stats stats;
};

/* Writes the anchored regex of glob p into out: `\A...\z`, literals
 * escaped, `*` as `.*`, `?` as `.`, windash as a class (the caller sets
 * DOTALL and UTF flags). */
kz_status mt_glob_regex(const kz_sg_pattern *p, kz_strbuf *out);

/* Classifies a glob value: MP_HS, MP_ANY, MP_EMPTY or MP_FALSE (Vectorscan
 * folds non-ASCII case itself in UTF-8 mode; MP_PCRE is only the fallback
 * for an expression it refuses). */
mt_pkind mt_glob_kind(const kz_sg_value *v);

/* Compiles regex pat with PCRE2 (UTF mode plus opts) and JIT; on error
 * KZ_EFORMAT naming path. */
kz_status mt_pcre_compile(const char *pat, uint32_t opts, const char *path,
                          pcre2_code **out, kz_error *err);

/* Compiles the PCRE2 form of glob v (anchored, DOTALL, caseless unless
 * cased). */
kz_status mt_glob_pcre(const kz_sg_value *v, const char *path,
                       pcre2_code **out, kz_error *err);

/* Compiles one Vectorscan database per field slot from the MP_HS
 * predicates (database.c), moving refused expressions to PCRE2; fills
 * pattern ids, the scratch prototype and, with a cache_dir, reads or
 * writes the serialized databases. */
kz_status mt_build_dbs(kz_ruleset *rs, kz_error *err);

/* Hash of value s[0..n) (ASCII case-folded) as an exact literal of
 * slot. */
uint64_t mt_exact_hash(uint32_t slot, const char *s, size_t n);

/* If every match of regex re (PCRE2 syntax, no EXTENDED option) must
 * contain a run of ASCII literal characters of at least min bytes,
 * appends the longest such run, ASCII lowercased, to out and returns
 * true. Conservative: any construct it does not understand gives false. */
bool mt_regex_literal(const char *re, size_t min, kz_strbuf *out);

/* If every match of regex re (as mt_regex_literal) must contain a run
 * of ASCII literal characters none of which is an ASCII letter, appends
 * the longest such run to out and returns true; false when it is shorter
 * than min bytes (or none). */
bool mt_regex_gate(const char *re, size_t min, kz_strbuf *out);

/* If regex re starts with `\w+` and then one literal character c that
 * is not a word character (not quantified), returns c, else 0. A match
 * then starts inside a run of word characters followed by c, and one
 * starting inside a run implies one at the run's start (its `\w+`
 * reaches the same c): the matcher tries re anchored at those starts
 * only, instead of PCRE2 matching each run again from each of its
 * positions. ASCII `\w` (no UCP). */
int mt_regex_word_start(const char *re);

/* Parses a whole decimal number (sign, digits, fraction, exponent; no
 * hex, inf or nan; surrounding spaces refused) into *out. */
bool mt_parse_number(const char *s, size_t n, double *out);

/* True if s is an IP address inside v's network (::ffff:a.b.c.d counts
 * as a.b.c.d). */
bool mt_cidr_match(const kz_sg_value *v, const char *s, size_t n);

/* Parses s[0..n) as an IPv4 or IPv6 address into addr (4 or 16 bytes)
 * and *fam (4 or 6; ::ffff:a.b.c.d gives 4 and a.b.c.d); false if it is
 * none. */
bool mt_ip_parse(const char *s, size_t n, uint8_t addr[16], int *fam);

/* True if the address (as mt_ip_parse gives it) is inside v's network. */
bool mt_cidr_in(const kz_sg_value *v, const uint8_t *addr, int fam);

/* True if s parses as a timestamp whose component v->part compares with
 * v->num under v->op (components as written, no zone conversion). */
bool mt_timepart_match(const kz_sg_value *v, const char *s, size_t n);

/* Index of the channel named name (ASCII case-insensitive), or
 * UINT32_MAX. */
uint32_t mt_chan_find(const kz_ruleset *rs, const char *name, size_t len);

/* Compares two numbers under op. */
bool mt_cmp(double a, uint8_t op, double b);

/* Fieldref test: a against b under mode (ASCII case-insensitive unless
 * cased). */
bool mt_ref_match(const char *a, size_t an, const char *b, size_t bn,
                  uint8_t mode, bool cased);

#endif /* KZ_MATCH_MATCH_INT_H */
