/*
 * analytics.h - the analytics Sigma cannot express (D1, D2, D3, D5, D8,
 * D13 of incidents-and-scenarios), as pure code over facts.
 *
 * A fact is the few fields of one event an analytic reads (a logon, a
 * process start, a share access...), named by slot, plus where the event
 * came from (kz_finding_ref). hunt renders facts on the pool threads for
 * the events whose (channel, event id) is in the source table below, keeps
 * them in a sorted store, and feeds them back in the total order (time
 * first) to kz_analytics_add. Each analytic keeps bounded tables keyed by
 * account, host, source or path with sliding windows; closed windows are
 * freed; every table has a cap and counts what it dropped. Findings go to
 * a kz_finding_sink (finding.h). Raw events are never kept.
 *
 * Thresholds and windows come from kz_a_config (inputs.c: one table of
 * keys with defaults, a `key = value` file, flags). Reference:
 * docs/analytics.md.
 * Threads: one engine is used by one thread; the tables (sources, keys)
 * are constant and shared.
 */
#ifndef KZ_ANALYTICS_ANALYTICS_H
#define KZ_ANALYTICS_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/finding.h"
#include "base/error.h"
#include "base/strbuf.h"
#include "base/time.h"
#include "event/value.h"

/* ---- facts --------------------------------------------------------- */

/* Kinds of fact. */
typedef enum kz_fact_kind {
    KZ_FACT_LOGON = 0, /* 4624: user, domain, type, address, sid, lid */
    KZ_FACT_PRIV,      /* 4672: user, domain, sid, logon id */
    KZ_FACT_GROUP_ADD, /* 4728/4732/4756: member name, member sid, group */
    KZ_FACT_RDP,       /* RCM 1149 / LSM 21, 22, 25: user, domain, address */
    KZ_FACT_SHARE,     /* 5140: user, domain, address, share */
    KZ_FACT_FILE,      /* 5145 / 4663: user, domain, address, share, file */
    KZ_FACT_SERVICE,   /* 7045 / 4697: service name, image path */
    KZ_FACT_TASK,      /* 4698: task name, task content */
    KZ_FACT_PROC,      /* Sysmon 1 / 4688 */
    KZ_FACT_LSASS,     /* Sysmon 10: source image, target, access */
    KZ_FACT_PIPE,      /* Sysmon 17/18: pipe name, image */
    KZ_FACT_DNS,       /* Sysmon 22: query name, image */
    KZ_FACT_KINDS
} kz_fact_kind;

/* Slots (indexes into kz_fact.v) per kind; unnamed slots are empty. */
enum {
    /* LOGON, PRIV, GROUP_ADD, RDP, SHARE, FILE */
    KZ_FS_USER = 0,
    KZ_FS_DOMAIN = 1,
    KZ_FS_ADDR = 2,
    KZ_FS_SID = 3,
    KZ_FS_LOGON_TYPE = 4,
    KZ_FS_LOGON_ID = 5,
    KZ_FS_SHARE = 6,
    KZ_FS_FILE = 7,
    KZ_FS_GROUP = 6,
    KZ_FS_ACTOR = 4, /* GROUP_ADD: who added the member */
    /* SERVICE, TASK */
    KZ_FS_NAME = 0,
    KZ_FS_PATH = 1,
    /* PROC */
    KZ_FS_IMAGE = 0,
    KZ_FS_CMDLINE = 1,
    KZ_FS_OFN = 2,
    KZ_FS_HASHES = 3,
    KZ_FS_PARENT_IMAGE = 4,
    KZ_FS_PARENT_ID = 5,
    KZ_FS_PLOGON = 6,
    KZ_FS_PUSER = 7,
    /* LSASS, PIPE, DNS */
    KZ_FS_SOURCE = 0,
    KZ_FS_TARGET = 1,
    KZ_FS_ACCESS = 2,
    KZ_FS_PIPE = 0,
    KZ_FS_QUERY = 0,
    KZ_FS_QIMAGE = 1,
};

#define KZ_FACT_SLOTS 8

/* One fact: borrowed strings, valid for the kz_analytics_add call. A
 * value of length 0 is absent. */
typedef struct kz_fact {
    uint8_t kind;            /* kz_fact_kind */
    kz_finding_ref ref;      /* the event (time, input, record, host) */
    kz_str v[KZ_FACT_SLOTS]; /* values by slot */
} kz_fact;

/* Where facts come from: events of one channel and event id, and the
 * field read into each slot (NULL = none). */
typedef struct kz_fact_source {
    const char *channel; /* compared ASCII case-insensitively */
    uint32_t event_id;
    uint8_t kind; /* kz_fact_kind */
    const char *fields[KZ_FACT_SLOTS];
} kz_fact_source;

/* Entry i of the source table, or NULL past its end. */
const kz_fact_source *kz_fact_source_at(size_t i);

/* Index of the source for (channel, event id) in the table, or -1. Only
 * sources of kinds in `kinds` (bit 1 << kind) are returned. */
int kz_fact_source_find(const char *channel, size_t channel_len,
                        uint32_t event_id, uint32_t kinds);

/* ---- configuration ------------------------------------------------- */

/* Configuration keys (inputs.c holds names, defaults and bounds). */
typedef enum kz_a_key {
    KZ_AK_RDP_ENABLED = 0,
    KZ_AK_RDP_WINDOW,
    KZ_AK_TOOL_ENABLED,
    KZ_AK_TOOL_CLASSES,
    KZ_AK_TOOL_WINDOW,
    KZ_AK_FANOUT_ENABLED,
    KZ_AK_FANOUT_HOSTS,
    KZ_AK_FANOUT_WINDOW,
    KZ_AK_IDENTITY_ENABLED,
    KZ_AK_IDENTITY_NAMES,
    KZ_AK_BULK_ENABLED,
    KZ_AK_BULK_FILES,
    KZ_AK_BULK_WINDOW,
    KZ_AK_BULK_KEEP,
    KZ_AK_BULK_BASELINE_DAYS,
    KZ_AK_DISC_ENABLED,
    KZ_AK_DISC_COMMANDS,
    KZ_AK_DISC_WINDOW,
    KZ_AK_MAX_KEYS,
    KZ_AK_MAX_BYTES,
    KZ_AK_COUNT
} kz_a_key;

typedef struct kz_a_config {
    int64_t v[KZ_AK_COUNT]; /* value of each key */
} kz_a_config;

/* Description of one key. */
typedef struct kz_a_key_info {
    const char *name;      /* "fanout.hosts" */
    int64_t def, min, max; /* default and bounds */
    const char *unit;      /* "minutes", "hosts", "0/1"... */
    const char *doc;       /* one line */
} kz_a_key_info;

/* Info of key k (0 <= k < KZ_AK_COUNT). */
const kz_a_key_info *kz_a_key_at(size_t k);

/* Sets every key to its default. */
void kz_a_config_defaults(kz_a_config *c);

/* Sets key `name` from the text `value` (a decimal integer within the
 * key's bounds). Errors (message in err): KZ_EUSAGE for an unknown key
 * or a bad value. */
kz_status kz_a_config_set(kz_a_config *c, const char *name, const char *value,
                          kz_error *err);

/* Reads a `key = value` file ('#' starts a comment, blank lines are
 * ignored; lines at most 1024 bytes; keys starting "integrity." are left
 * to the integrity tap). Errors: KZ_EIO when it cannot be
 * read; KZ_EUSAGE for a bad line, message "PATH:LINE: ...". */
kz_status kz_a_config_load(kz_a_config *c, const char *path, kz_error *err);

/* ---- identity helpers (inputs.c) ----------------------------------- */

/* What an address is. */
typedef enum kz_addr_class {
    KZ_ADDR_UNKNOWN = 0, /* "-", empty, "::", "0.0.0.0", not an IP */
    KZ_ADDR_INTERNAL,    /* RFC 1918, RFC 6598, loopback,
                            link-local, IPv6 ULA */
    KZ_ADDR_EXTERNAL,    /* any other address */
} kz_addr_class;

/* Class of an address as logged (IPv4, IPv6, ::ffff:a.b.c.d, optional
 * surrounding spaces). */
kz_addr_class kz_addr_classify(const char *s, size_t len);

/* A network of --internal-nets: an IPv6 prefix (IPv4 as ::ffff:a.b.c.d,
 * its prefix length + 96). */
typedef struct kz_a_net {
    unsigned char addr[16];
    uint8_t bits; /* 0..128 */
} kz_a_net;

/* Most networks --internal-nets takes. */
#define KZ_A_MAX_NETS 64

/* Parses a comma-separated list of networks ("a.b.c.d/n", "x:y::/n", a
 * bare address for one host; spaces around items are free) into
 * nets[0..*n), at most max. Errors (message in err): KZ_EUSAGE for a bad
 * item or more than max. */
kz_status kz_a_nets_parse(const char *list, kz_a_net *nets, size_t max,
                          size_t *n, kz_error *err);

/* kz_addr_classify, with an address in one of nets[0..n) internal. */
kz_addr_class kz_addr_classify_nets(const char *s, size_t len,
                                    const kz_a_net *nets, size_t n);

/* Appends the host key of a Computer name: ASCII lower case, DNS suffix
 * stripped (WS01.corp.local -> ws01). */
kz_status kz_a_host_key(kz_strbuf *b, const char *s, size_t len);

/* Appends the account key of a user name: lower case, "DOMAIN\" and
 * "@realm" stripped, "CN=x,..." reduced to x. Empty for "-", empty or
 * NULL names. */
kz_status kz_a_account_key(kz_strbuf *b, const char *s, size_t len);

/* ---- the engine ---------------------------------------------------- */

typedef struct kz_analytics kz_analytics;

/* Formats a time for Details (hunt: the output zone); NULL = ISO UTC. */
typedef kz_status (*kz_a_time_fmt)(void *ctx, kz_strbuf *b, kz_time t);

typedef struct kz_analytics_opts {
    const kz_a_config *config;     /* NULL = defaults */
    const kz_a_net *internal_nets; /* --internal-nets (copied; at most
                                      KZ_A_MAX_NETS are used) */
    size_t ninternal_nets;
    kz_finding_sink sink;   /* where findings go */
    kz_a_time_fmt fmt_time; /* NULL = ISO UTC */
    void *fmt_ctx;
} kz_analytics_opts;

/* Counters of a run. */
typedef struct kz_a_stats {
    uint64_t facts;              /* facts seen */
    uint64_t by_analytic[16];    /* findings by kz_a_which */
    uint64_t dropped_keys;       /* keys not tracked: a table was full */
    uint64_t dropped_items;      /* values not tracked: a key was full */
    uint64_t out_of_order;       /* facts older than the previous one */
    uint64_t untimed;            /* facts without a time, or one before
                                    1601 (skipped) */
    uint64_t bulk_files_kept;    /* files listed for bulk-read keys */
    uint64_t bulk_files_dropped; /* files counted but not listed */
    uint64_t bulk_files_spilled; /* listed files kept in the spill file */
    uint64_t bytes_max;          /* this engine's part of tables.max_bytes
                                    (three quarters; the integrity
                                    intervals have the last quarter) */
    uint64_t bytes_peak;         /* most bytes the tables held */
    uint64_t bytes_refused;      /* keys, values, files, reads refused at
                                    tables.max_bytes (also counted above) */
    bool ne_bulk_baseline;       /* D8's baseline was not evaluated */
    bool ne_rdp_history;         /* D1's "first privilege ever" neither */
} kz_a_stats;

/* The analytics of this engine (positions in kz_a_stats.by_analytic). */
typedef enum kz_a_which {
    KZ_A_RDP = 0,
    KZ_A_TOOLS,
    KZ_A_FANOUT,
    KZ_A_IDENTITY,
    KZ_A_BULK,
    KZ_A_DISCOVERY,
    KZ_A_NOT_EVALUATED,
    KZ_A_COUNT
} kz_a_which;

/* Catalog id of an analytic of this engine. */
const char *kz_a_which_id(kz_a_which w);

/* A new engine; NULL on OOM. The options are copied. */
kz_analytics *kz_analytics_new(const kz_analytics_opts *o);

/* Frees it. Accepts NULL. */
void kz_analytics_free(kz_analytics *a);

/* Bit mask (1 << kind) of the fact kinds the enabled analytics read. */
uint32_t kz_analytics_kinds(const kz_analytics *a);

/* True if some enabled analytic of a could use fact f (its values; the
 * ref is not read): hunt keeps only those facts. Reads only the
 * configuration and constant tables: safe from any thread. */
bool kz_analytics_wants(const kz_analytics *a, const kz_fact *f);

/* Feeds one fact (in time order; older facts are counted and used as if
 * they were at the latest time). Returns the sink's error, or
 * KZ_ENOMEM. */
kz_status kz_analytics_add(kz_analytics *a, const kz_fact *f);

/* Ends the run: pending windows are closed and "not evaluated" findings
 * emitted. Call once. */
kz_status kz_analytics_finish(kz_analytics *a);

/* Counters so far. */
void kz_analytics_stats(const kz_analytics *a, kz_a_stats *st);

/* Bulk-read keys that produced a finding, for later stages (impact
 * scope): for each i < kz_analytics_bulk_count(), the account and source
 * of key i, the number of distinct files counted, and the files listed
 * (at most bulk_read.keep_files; `total` counts every distinct file).
 * Lists past the in-memory part of tables.max_bytes live in an unlinked
 * temporary file ($TMPDIR) and are read back: *files is then valid until
 * the next call (or kz_analytics_free). false past the end, or when a
 * spilled list cannot be read back (*nfiles = 0). */
size_t kz_analytics_bulk_count(const kz_analytics *a);
bool kz_analytics_bulk_get(const kz_analytics *a, size_t i,
                           const char **account, const char **source,
                           uint64_t *total, const char *const **files,
                           size_t *nfiles);

#endif /* KZ_ANALYTICS_ANALYTICS_H */
