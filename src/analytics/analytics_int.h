/*
 * analytics_int.h - what the analytics of analytics.h share: a string-keyed
 * table with a cap, small sliding sets of distinct values, event refs,
 * and the finding builder. Not a public interface.
 * Threads: one engine, one thread.
 */
#ifndef KZ_ANALYTICS_ANALYTICS_INT_H
#define KZ_ANALYTICS_ANALYTICS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analytics/analytics.h"

/* Contributing events listed in a finding's ExtraFieldInfo. */
#define KZ_A_MAX_REFS 10
/* Distinct values kept by a sliding set (hosts, classes, commands). */
#define KZ_A_SET_CAP 64
/* Pairs of a finding. */
#define KZ_A_MAX_PAIRS (2 * (16 + 4 + KZ_A_MAX_REFS))

/* A contributing event: input ordinal and record id (or position). */
typedef struct a_ref {
    uint32_t file_index;
    bool has_rid;
    uint64_t id; /* record id, or position */
} a_ref;

/* ---- memory budget (tables.max_bytes) ------------------------------ */

/* Bytes every table, set, list and queue of one engine holds, counted
 * as the allocator would use them (a_cost), so the figure is the same
 * for every run of the same facts. */
typedef struct a_budget {
    uint64_t used, peak, max;
    uint64_t *refused;  /* engine stats: allocations refused */
    uint64_t underflow; /* gives back of more than was taken (a bug) */
} a_budget;

/* Bytes an allocation of n bytes costs (header and rounding). */
size_t a_cost(size_t n);
/* Takes a_cost(n) bytes from the budget; false (counted in *refused)
 * when that would pass max: the caller then does without. */
bool a_charge(a_budget *b, size_t n);
/* The same, never refused: small bookkeeping of what is already kept. */
void a_charge_force(a_budget *b, size_t n);
/* Gives back what a_charge(b, n) took. */
void a_uncharge(a_budget *b, size_t n);

/* ---- table: string key -> value, chained, capped ------------------- */

typedef struct a_node {
    struct a_node *next;
    uint64_t hash;
    void *value;  /* owned (freed with the table's free_value) */
    size_t vsize; /* bytes of value charged with the node (0: the value
                     charges itself) */
    size_t klen;
    char key[]; /* NUL-terminated */
} a_node;

typedef struct a_table {
    a_node **b; /* buckets */
    size_t nb;  /* power of two */
    size_t n;   /* entries */
    size_t cap; /* most entries */
    void (*free_value)(void *);
    uint64_t *dropped; /* counter of keys refused (engine stats) */
    a_budget *bud;
} a_table;

void a_table_init(a_table *t, size_t cap, void (*free_value)(void *),
                  uint64_t *dropped, a_budget *bud);
void a_table_fini(a_table *t);
/* The value of key, or NULL. */
void *a_table_get(const a_table *t, const char *key, size_t klen);
/* Inserts key with value (key must be absent). false when the table is
 * full or the budget refuses (both counted as a dropped key) or on OOM;
 * the value is then not owned by the table. */
bool a_table_put(a_table *t, const char *key, size_t klen, void *value);
/* The same, charging vsize bytes of value with the node (a value of
 * fixed size that does not charge itself). */
bool a_table_put_sized(a_table *t, const char *key, size_t klen, void *value,
                       size_t vsize);
/* Removes key (freeing its value). */
void a_table_del(a_table *t, const char *key, size_t klen);
/* Calls fn on each entry; fn returns true to remove (and free) it. */
void a_table_sweep(a_table *t,
                   bool (*fn)(void *ctx, const char *key, void *value),
                   void *ctx);

/* ---- sliding set of distinct values -------------------------------- */

typedef struct a_item {
    char *val;           /* owned */
    kz_time first, last; /* first and last seen */
    a_ref ref;           /* first event */
} a_item;

typedef struct a_set {
    a_item it[KZ_A_SET_CAP];
    size_t n;
    uint64_t events;  /* facts added while the set was live */
    uint64_t dropped; /* values of the live set not tracked (a bound) */
    kz_time start;    /* first fact of the live set */
    bool fired;       /* a finding was made for this burst */
    a_budget *bud;
} a_set;

/* A new empty set charged to bud; NULL when refused or on OOM. */
a_set *a_set_new(a_budget *bud);

/* The set of key in table t, made (empty) if new; NULL when a bound
 * refuses it (tables.max_bytes: counted in dropped_keys; the table's
 * key cap: counted by the table). */
a_set *a_key_set(kz_analytics *a, a_table *t, const char *key, size_t klen);
void a_set_free(void *s);
/* Forgets values last seen before t - window. */
void a_set_expire(a_set *s, kz_time t, kz_time window);
/* Adds val seen at t (ref: its event). Returns false on OOM; a full set
 * or a refused budget counts the value as dropped (*dropped and the
 * set's own count, which a_pair_set_values reports). */
bool a_set_add(a_set *s, const char *val, size_t len, kz_time t,
               const a_ref *ref, uint64_t *dropped);
/* Earliest first-seen time of the values in the set. */
kz_time a_set_first(const a_set *s);

/* ---- the engine ---------------------------------------------------- */

typedef struct a_rdp a_rdp;
typedef struct a_bulk a_bulk;

/* Spilled bulk-read lists and the read-back buffer of bulk_get. */
typedef struct a_bulk_spill {
    FILE *f;      /* unlinked temporary file, NULL until needed */
    bool failed;  /* it could not be created or written */
    uint64_t end; /* bytes written */
    char *buf;    /* read-back: the names */
    char **ptrs;  /* read-back: pointers into buf */
    size_t bufcap, ptrcap;
} a_bulk_spill;

struct kz_analytics {
    kz_a_config cfg;
    a_budget bud;
    kz_a_net nets[KZ_A_MAX_NETS]; /* --internal-nets */
    size_t nnets;
    kz_finding_sink sink;
    kz_a_time_fmt fmt_time;
    void *fmt_ctx;
    kz_a_stats st;
    kz_time now; /* latest fact time */
    bool finished;
    /* input paths by file_index (for refs) */
    char **paths;
    size_t npaths;
    /* scratch */
    kz_strbuf k1, k2; /* keys */
    kz_strbuf text;   /* finding texts */
    size_t off[KZ_A_MAX_PAIRS];
    size_t np, nd; /* pairs so far, Details pairs */
    /* D1 */
    a_table rdp, rdp_sid;
    /* D2 */
    a_table tools;
    kz_time tools_sweep;
    /* D3 */
    a_table fan;
    kz_time fan_sweep;
    /* D5 */
    a_table ident_seen, hashes;
    /* D8 */
    a_table bulk;
    kz_time bulk_sweep;
    a_bulk **bulk_done; /* keys that fired, kept for listing */
    size_t nbulk_done, bulk_done_cap;
    uint64_t bulk_done_bytes; /* listed files of bulk_done in memory */
    a_bulk_spill *spill;      /* pointer: bulk_get fills it (const a) */
    /* D13 */
    a_table disc;
    kz_time disc_sweep;
    /* kz_a_not_evaluated */
    bool saw_file, saw_rdp;
    kz_time file_first, file_last;
    kz_finding_ref ne_ref; /* first relevant fact (strings owned) */
    char *ne_path, *ne_computer, *ne_channel;
};

/* Minutes of config key k as ticks. */
kz_time a_minutes(const kz_analytics *a, kz_a_key k);
/* Remembers the path of f's input; fills *r with f's event. */
void a_ref_of(kz_analytics *a, const kz_fact *f, a_ref *r);

/* Finding builder: begin, Details pairs, a_end_details, Extra pairs,
 * a_emit. Texts are copied. */
void a_begin(kz_analytics *a);
kz_status a_pair(kz_analytics *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
kz_status a_pair_str(kz_analytics *a, const char *name, const char *s,
                     size_t len);
kz_status a_pair_time(kz_analytics *a, const char *name, kz_time t);
void a_end_details(kz_analytics *a);
/* "Events": total, then Event1.. for refs: "record N" (or "position
 * N"), preceded by the input's path when it is not the input of `at`
 * (the finding's File column). */
kz_status a_pair_refs(kz_analytics *a, const a_ref *refs, size_t n,
                      uint64_t total, const kz_finding_ref *at);
/* The refs of a set's items (first KZ_A_MAX_REFS), then a_pair_refs. */
kz_status a_pair_set_refs(kz_analytics *a, const a_set *s,
                          const kz_finding_ref *at);
/* A list "v1, v2, ..." of the set's values. */
kz_status a_pair_set_values(kz_analytics *a, const char *name, const a_set *s);
kz_status a_emit(kz_analytics *a, kz_a_which w, const kz_finding_ref *at);

/* Value helpers. */
/* len, or less so that s[0..len) does not end inside a UTF-8 character
 * (for a text cut at len bytes). */
size_t a_utf8_cut(const char *s, size_t len);
bool a_empty(const kz_str *v); /* absent, "-" or only spaces */
/* Base name of a Windows path (after the last '\' or '/'). */
kz_str a_basename(kz_str path);
/* Case-insensitive equality / suffix / substring on kz_str. */
bool a_ieq(kz_str s, const char *lit);
bool a_iends(kz_str s, const char *lit);
bool a_icontains(kz_str s, const char *lit);

/* Class of an address, --internal-nets included. */
kz_addr_class a_addr_class(const kz_analytics *a, const kz_str *addr);

/* Remembers that an external RDP session was seen (for the "not
 * evaluated" note; the first such fact is its ref). */
void a_saw_rdp(kz_analytics *a, const kz_fact *f);

/* The analytics (logons.c, tools.c, process.c, bulk.c). */
kz_status a_rdp_fact(kz_analytics *a, const kz_fact *f);
kz_status a_tools_fact(kz_analytics *a, const kz_fact *f);
kz_status a_fanout_fact(kz_analytics *a, const kz_fact *f);
kz_status a_identity_fact(kz_analytics *a, const kz_fact *f);
kz_status a_bulk_fact(kz_analytics *a, const kz_fact *f);
kz_status a_bulk_finish(kz_analytics *a);
void a_bulk_free_done(kz_analytics *a);
void a_bulk_value_free(void *v);
kz_status a_discovery_fact(kz_analytics *a, const kz_fact *f);

/* D3: a user that does not fan out (machine account, ANONYMOUS LOGON,
 * SYSTEM, LOCAL/NETWORK SERVICE, empty); a source address that counts
 * (known, not loopback). */
bool a_machine_or_anonymous(kz_str u);
bool a_usable_source(kz_str addr);

/* True if base is a browser's image name (chrome.exe, msedge.exe...). */
bool a_is_browser(kz_str base);

/* Tool class of a fact (D2), or -1; *tool names the tool. */
int a_tool_class(const kz_fact *f, const char **tool);
/* Name of tool class c. */
const char *a_tool_class_name(int c);
#define KZ_A_TOOL_CLASSES 5
/* JPCERT discovery command of a process fact (D13), or NULL. */
const char *a_discovery_command(const kz_fact *f);

#endif /* KZ_ANALYTICS_ANALYTICS_INT_H */
