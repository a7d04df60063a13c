/*
 * model.h - the incident report model (kz_report): everything the report
 * renderers (report.html, report.md, report.json, manifest.json) show,
 * and nothing they compute from logs themselves.
 *
 * The investigate layer fills a model (kz_report_add_* and the plain
 * fields); the renderers in this directory only read it. Sections follow
 * a Japanese incident report (docs/report.md): 発生事象 (summary),
 * 対応経緯 and 保全機器 (people; the input list is the known part of
 * 保全機器), 侵害の痕跡 (timeline rows), tools, lateral movement (steps and
 * the logon graph), impact scope, 調査の制約 (evidence limits), 原因 and
 * 再発防止策 (people). The sections only people can fill have no data
 * here: the renderers show them as marked empty fields with guidance,
 * never with invented text.
 *
 * Bounds: every string is copied and cut to KZ_REPORT_STR_MAX bytes (on a
 * UTF-8 boundary; counted in strings_cut); every list has a stated cap
 * (KZ_REPORT_MAX_*) and counts what it left out (kz_report_list.omitted);
 * all copies live in one arena capped at KZ_REPORT_ARENA_MAX.
 * Ownership: the model owns every string and list; pointers stay valid
 * until kz_report_free. Strings passed to kz_report_add_* are borrowed
 * for the call only. An absent string is NULL; an absent time is
 * KZ_TIME_NONE; an absent record id is KZ_REPORT_NO_RECORD.
 * Errors: KZ_ENOMEM when an allocation fails or the arena is full; a
 * full list is not an error (the item is counted as omitted).
 * Threads: a model belongs to one thread at a time.
 */
#ifndef KZ_REPORT_MODEL_H
#define KZ_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/time.h"
#include "write/tz.h"

/* ---- bounds ------------------------------------------------------ */

#define KZ_REPORT_STR_MAX 2048        /* bytes kept of one string */
#define KZ_REPORT_ARENA_MAX ((size_t)256 << 20) /* all copied strings */
#define KZ_REPORT_MAX_FLAGS 256       /* command-line flags recorded */
#define KZ_REPORT_MAX_RULE_SOURCES 256 /* rule sources */
#define KZ_REPORT_MAX_INPUTS 100000   /* input files */
#define KZ_REPORT_MAX_ROWS 10000      /* compromise timeline rows */
#define KZ_REPORT_MAX_TOOLS 1000      /* tools */
#define KZ_REPORT_MAX_TOOL_HOSTS 32   /* hosts listed per tool */
#define KZ_REPORT_MAX_STEPS 1000      /* lateral movement steps */
#define KZ_REPORT_MAX_SCOPE 2000      /* impact scope entries */
#define KZ_REPORT_MAX_SCOPE_NAMES 20  /* file names listed per entry */
#define KZ_REPORT_MAX_LIMITS 1000     /* evidence limits */
#define KZ_REPORT_MAX_NODES 400       /* graph nodes */
#define KZ_REPORT_MAX_EDGES 2000      /* graph edges */
#define KZ_REPORT_MAX_BUCKETS 1000    /* chart buckets */
#define KZ_REPORT_MAX_TECHNIQUES 1000 /* ATT&CK techniques (navigator.c) */
#define KZ_REPORT_MAX_TECH_RULES 20   /* rule titles kept per technique */
#define KZ_REPORT_MAX_INCIDENTS 1000  /* incidents listed */
#define KZ_REPORT_MAX_INC_NAMES 20    /* hosts, accounts per incident */
#define KZ_REPORT_MAX_ENT_HOSTS 2000    /* entities: hosts */
#define KZ_REPORT_MAX_ENT_ACCOUNTS 2000 /* entities: accounts */
#define KZ_REPORT_MAX_ENT_ADDRS 2000    /* entities: source addresses */
#define KZ_REPORT_MAX_ENT_LINKS 16      /* names listed per entity field */

/* No record id. */
#define KZ_REPORT_NO_RECORD UINT64_MAX

/* The version of report.json's schema ("kizuki-report/1"). */
#define KZ_REPORT_SCHEMA "kizuki-report/1"
/* The version of manifest.json's schema. */
#define KZ_MANIFEST_SCHEMA "kizuki-manifest/1"

/* Language of headings and labels (--lang). */
typedef enum kz_report_lang {
    KZ_LANG_EN = 0, /* English (default) */
    KZ_LANG_JA,     /* Japanese */
} kz_report_lang;

/* A bounded list of fixed-size items (one of the structs below). */
typedef struct kz_report_list {
    void *items;       /* n items of elem bytes, or NULL */
    size_t n;          /* items kept */
    size_t cap;        /* items allocated */
    size_t max;        /* cap on n (KZ_REPORT_MAX_*) */
    size_t elem;       /* bytes per item */
    uint64_t omitted;  /* items refused because the list was full */
} kz_report_list;

/* An item of a list of strings (meta.flags). */
typedef const char *kz_report_str;

/* The i-th item of list l as a pointer to type T. */
#define KZ_REPORT_AT(l, T, i) (&((const T *)(l)->items)[(i)])

/* ---- items ------------------------------------------------------- */

/* One rule source: a rule file or directory and how many rules it gave. */
typedef struct kz_report_rule_source {
    const char *path;   /* as given on the command line */
    uint64_t loaded;    /* rules loaded from it */
    uint64_t failed;    /* rules that could not load (reported) */
} kz_report_rule_source;

/* One input file (the manifest and 保全機器's known part). */
typedef struct kz_report_input {
    const char *path;   /* as walked */
    uint64_t size;      /* bytes */
    const char *sha256; /* 64 hex digits, or NULL if unreadable */
    const char *note;   /* why it could not be read, or NULL */
} kz_report_input;

/* One row of the compromise timeline (侵害の痕跡). */
typedef struct kz_report_row {
    kz_time time;          /* event time (UTC) */
    const char *host;      /* computer */
    const char *account;   /* DOMAIN\name or NULL */
    const char *activity;  /* what happened (rule title, analytic) */
    const char *file;      /* evidence: input file */
    const char *channel;   /* evidence: channel */
    uint64_t record_id;    /* evidence: EventRecordID or NO_RECORD */
    uint32_t event_id;     /* evidence: event id, 0 = unknown */
    const char *rule_id;   /* Sigma rule id or analytic id (D8...) */
    const char *level;     /* informational..critical */
    uint64_t incident;     /* incident number, 0 = in none (a cap) */
    const char *tactic;    /* kill-chain tactic of its tags, or NULL */
} kz_report_row;

/* One tool or malware seen (マルウェア・ツール). */
typedef struct kz_report_tool {
    const char *name;        /* tool name (PsExec, mimikatz...) */
    const char *path;        /* image path as logged */
    const char *sha256;      /* hash as logged, or NULL */
    kz_time first;           /* first execution */
    const char **hosts;      /* hosts it ran on (n_hosts) */
    size_t n_hosts;          /* hosts kept (<= KZ_REPORT_MAX_TOOL_HOSTS) */
    uint64_t hosts_omitted;  /* hosts left out */
} kz_report_tool;

/* One step of the lateral movement path, in order. */
typedef struct kz_report_step {
    const char *from;      /* source host or address */
    const char *to;        /* destination host */
    const char *account;   /* account used */
    kz_time time;          /* first time of the step */
    const char *method;    /* RDP, PsExec, WMI, SMB... */
    const char *evidence;  /* "Security 4624 #1234 in a.evtx"... */
} kz_report_step;

/* Impact scope of one host and share (or the host's own files, or its
 * mailboxes) in one incident. */
typedef struct kz_report_scope {
    uint64_t incident;      /* incident number, 0 = none */
    const char *kind;       /* "share", "local" or "mailbox" */
    const char *host;       /* host where the files are */
    const char *share;      /* share name, or NULL for the host itself */
    uint64_t files_read;    /* distinct files read */
    uint64_t files_written; /* distinct files written */
    uint64_t files_deleted; /* distinct files deleted */
    uint64_t total;         /* distinct files touched */
    kz_time first, last;    /* first and last access */
    const char **accounts;  /* accounts that touched them (n_accounts) */
    size_t n_accounts;      /* <= KZ_REPORT_MAX_SCOPE_NAMES */
    uint64_t accounts_omitted;
    const char **names;     /* the first names (n_names) */
    size_t n_names;         /* <= KZ_REPORT_MAX_SCOPE_NAMES */
    uint64_t names_omitted; /* names left out */
} kz_report_scope;

/* One limit of the evidence (調査の制約). */
typedef struct kz_report_limit {
    const char *kind;         /* gap, cleared, missing-channel, cap... */
    const char *what;         /* what is missing or limited */
    const char *consequence;  /* what could not be determined */
} kz_report_limit;

/* A graph node (same meaning as the logon graph's nodes). */
typedef struct kz_report_node {
    const char *id;     /* unique key */
    const char *label;  /* shown text */
    const char *kind;   /* host, account, address */
    double rank;        /* PageRank, 0..1 */
    const char *role;   /* hosts: the role their events tell ("domain
                           controller", "file server"), or NULL */
} kz_report_node;

/* A graph edge. */
typedef struct kz_report_edge {
    const char *source; /* node id */
    const char *target; /* node id */
    const char *label;  /* logon type, method... */
    uint64_t count;     /* events behind the edge */
    kz_time first;      /* first seen */
    kz_time last;       /* last seen */
} kz_report_edge;

/* One ATT&CK technique (and tactic) the alerts were tagged with: one
 * entry of attack-navigator.json (navigator.c, docs/report.md). */
typedef struct kz_report_technique {
    const char *id;         /* "T1021" or "T1021.001" */
    const char *tactic;     /* "lateral-movement", or NULL: unknown */
    uint64_t alerts;        /* alerts tagged with it (the layer's score) */
    const char **rules;     /* distinct titles of those alerts' rules */
    size_t n_rules;         /* <= KZ_REPORT_MAX_TECH_RULES */
    uint64_t rules_omitted; /* alerts whose title was not kept (cap) */
} kz_report_technique;

/* One incident (発生事象: the incidents found, docs/investigate.md). */
typedef struct kz_report_incident {
    uint64_t id;              /* 1, 2... as in the timeline and scope */
    kz_time first, last;      /* first and last seed alert */
    const char *level;        /* its highest seed level */
    uint64_t seeds;           /* seed alerts */
    const char **hosts;       /* host keys, first seen first */
    size_t n_hosts;           /* <= KZ_REPORT_MAX_INC_NAMES */
    uint64_t hosts_omitted;
    const char **accounts;    /* account keys, first seen first */
    size_t n_accounts;        /* <= KZ_REPORT_MAX_INC_NAMES */
    uint64_t accounts_omitted;
    uint64_t techniques;      /* distinct ATT&CK techniques */
    uint64_t steps;           /* lateral movement steps */
    const char **path;        /* its start host, then the hosts its steps
                                 reached, in order */
    size_t n_path;            /* <= KZ_REPORT_MAX_INC_NAMES */
    uint64_t path_omitted;
    uint64_t tools;           /* tools */
    uint64_t files_read;      /* its impact scope, summed over hosts and */
    uint64_t files_written;   /* shares (kz_report_scope of this id; */
    uint64_t files_deleted;   /* mailboxes apart) */
    uint64_t mailboxes;
    const char *first_host;   /* its patient zero, or NULL: undetermined */
    const char *reason;       /* why that host, or why undetermined */
} kz_report_incident;

/* One bucket of the events/alerts-over-time chart. */
typedef struct kz_report_bucket {
    kz_time start;    /* bucket start (UTC) */
    uint64_t events;  /* events read in the bucket */
    uint64_t alerts;  /* detections and alerts in the bucket */
} kz_report_bucket;

/* An entity: one host (docs/report.md "Entities"). */
typedef struct kz_report_ent_host {
    const char *name;        /* host key */
    const char **spellings;  /* names as logged (n_spellings) */
    size_t n_spellings;      /* <= KZ_REPORT_MAX_ENT_LINKS */
    uint64_t spellings_omitted;
    const char **addresses;  /* addresses seen to be its (n_addresses) */
    size_t n_addresses;      /* <= KZ_REPORT_MAX_ENT_LINKS */
    uint64_t addresses_omitted;
    const char *role;        /* "domain controller"..., or NULL */
    bool logs_read;          /* its own logs were read */
    uint64_t events;         /* events read from it */
    kz_time first, last;     /* its first and last event read */
} kz_report_ent_host;

/* An entity: one account. */
typedef struct kz_report_ent_account {
    const char *name;          /* "DOMAIN\name" */
    const char **sids;         /* SIDs seen with it (n_sids) */
    size_t n_sids;             /* <= KZ_REPORT_MAX_ENT_LINKS */
    uint64_t sids_omitted;
    const char *upn;           /* "name@realm" or NULL */
    bool admin;                /* a 4672 (special privileges) was seen */
    bool machine;              /* a machine account HOST$ */
    const char **admin_hosts;  /* hosts of its 4672s */
    size_t n_admin_hosts;      /* <= KZ_REPORT_MAX_ENT_LINKS */
    uint64_t admin_hosts_omitted;
    const char **hosts;        /* hosts logged on to */
    size_t n_hosts;            /* <= KZ_REPORT_MAX_ENT_LINKS */
    uint64_t hosts_omitted;
    uint64_t logons;           /* successful logons */
    uint64_t failures;         /* failed logons and validations */
    kz_time first, last;       /* first and last success */
} kz_report_ent_account;

/* An entity: one source address. */
typedef struct kz_report_ent_addr {
    const char *address;  /* normalised address */
    bool internal;        /* internal (RFC 1918... or --internal-nets) */
    const char *host;     /* the one host it was seen to belong to, or
                             NULL */
    const char *basis;    /* how ("machine account", "workstation
                             name"), or why not ("ambiguous: a, b"), or
                             NULL */
    uint64_t logons;      /* successful logons from it */
    uint64_t failures;    /* failed logons from it */
    kz_time first, last;  /* first and last logon from it */
} kz_report_ent_addr;

/* ---- the model --------------------------------------------------- */

/* Summary facts (発生事象). */
typedef struct kz_report_summary {
    kz_time first_activity;  /* first malicious activity seen */
    kz_time last_activity;   /* last one */
    const char *first_host;  /* first host compromised, or NULL:
                                undetermined */
    const char *first_host_reason; /* why that host, or why undetermined */
    uint64_t events;         /* events read */
    uint64_t detections;     /* rule matches */
    uint64_t alerts;         /* correlation alerts and findings */
    uint64_t hosts;          /* hosts involved */
    uint64_t accounts;       /* accounts involved */
} kz_report_summary;

/* Provenance (manifest and the report's appendix). */
typedef struct kz_report_meta {
    const char *tool_version;  /* KZ_VERSION */
    kz_time generated_at;      /* when the report was made (UTC) */
    kz_tz tz;                  /* zone of every time shown */
    const char *zone_label;    /* "Asia/Tokyo", "+09:00", "UTC" */
    kz_report_lang lang;       /* headings and labels */
    kz_report_list flags;      /* kz_report_str: command-line flags */
    kz_report_list rule_sources; /* kz_report_rule_source */
    uint64_t rules_loaded;     /* rules loaded in all */
    uint64_t rules_failed;     /* rules that could not load */
    bool interactive_graph;    /* report.html: inline the graph library
                                  when the build embeds it (opt-in;
                                  false: the SVG graph only) */
} kz_report_meta;

typedef struct kz_report {
    kz_arena mem;               /* every copied string */
    uint64_t strings_cut;       /* strings cut to KZ_REPORT_STR_MAX */
    kz_report_meta meta;        /* provenance */
    kz_report_list inputs;      /* kz_report_input */
    kz_report_summary summary;  /* 発生事象 facts */
    kz_report_list rows;        /* kz_report_row: grouped per incident
                                   (kz_report_group_rows) or in time
                                   order */
    kz_report_list tools;       /* kz_report_tool */
    kz_report_list steps;       /* kz_report_step, in path order */
    kz_report_list scope;       /* kz_report_scope */
    const char *scope_file;     /* the complete list beside the report
                                   ("impact_files.csv"), or NULL */
    uint64_t scope_objects;     /* distinct objects in that list */
    kz_report_list limits;      /* kz_report_limit */
    kz_report_list nodes;       /* kz_report_node */
    kz_report_list edges;       /* kz_report_edge */
    kz_report_list buckets;     /* kz_report_bucket, in time order */
    kz_report_list techniques;  /* kz_report_technique, any order */
    kz_report_list incidents;   /* kz_report_incident, by id */
    kz_report_list ent_hosts;    /* kz_report_ent_host, by name */
    kz_report_list ent_accounts; /* kz_report_ent_account, by name */
    kz_report_list ent_addrs;    /* kz_report_ent_addr, by address */
} kz_report;

/* Adds each impact-scope entry's counts to its incident (files_read,
 * files_written, files_deleted; mailboxes for kind "mailbox"). Call once,
 * when both lists are filled. Returns KZ_OK (no failure). */
kz_status kz_report_sum_scope(kz_report *r);

/* Orders the rows by incident (0 last), then kill-chain tactic (in
 * kz_inc_tactic_rank's order; none last), then time, then the order
 * they were added: the compromise timeline grouped per incident. */
void kz_report_group_rows(kz_report *r);

/* Makes an empty model: English, UTC, no data, every time absent.
 * *out is NULL on failure. */
kz_status kz_report_new(kz_report **out, kz_error *err);

/* Frees the model and everything it owns. Accepts NULL. */
void kz_report_free(kz_report *r);

/* Copies s (NUL-terminated, may be NULL) into the model, cut to
 * KZ_REPORT_STR_MAX bytes on a UTF-8 boundary; *out is NULL for NULL. */
kz_status kz_report_strdup(kz_report *r, const char *s, const char **out,
                           kz_error *err);

/* Sets a summary or meta string field (copying s): e.g.
 * kz_report_set(r, &r->summary.first_host, "WS01", err). */
kz_status kz_report_set(kz_report *r, const char **field, const char *s,
                        kz_error *err);

/* Each adds one copied item (strings and name lists deep-copied); when
 * the list is full the item is counted in its list's omitted. */
kz_status kz_report_add_flag(kz_report *r, const char *flag, kz_error *err);
kz_status kz_report_add_rule_source(kz_report *r,
                                    const kz_report_rule_source *s,
                                    kz_error *err);
kz_status kz_report_add_input(kz_report *r, const kz_report_input *in,
                              kz_error *err);
kz_status kz_report_add_row(kz_report *r, const kz_report_row *row,
                            kz_error *err);
kz_status kz_report_add_tool(kz_report *r, const kz_report_tool *t,
                             kz_error *err);
kz_status kz_report_add_step(kz_report *r, const kz_report_step *s,
                             kz_error *err);
kz_status kz_report_add_scope(kz_report *r, const kz_report_scope *s,
                              kz_error *err);
kz_status kz_report_add_limit(kz_report *r, const kz_report_limit *l,
                              kz_error *err);
kz_status kz_report_add_node(kz_report *r, const kz_report_node *n,
                             kz_error *err);
kz_status kz_report_add_edge(kz_report *r, const kz_report_edge *e,
                             kz_error *err);
kz_status kz_report_add_bucket(kz_report *r, const kz_report_bucket *b,
                               kz_error *err);
kz_status kz_report_add_technique(kz_report *r,
                                  const kz_report_technique *t,
                                  kz_error *err);
kz_status kz_report_add_incident(kz_report *r, const kz_report_incident *in,
                                 kz_error *err);

/* Entities (same rules; every name list deep-copied and cut to
 * KZ_REPORT_MAX_ENT_LINKS, the rest counted in its *_omitted). */
kz_status kz_report_add_ent_host(kz_report *r, const kz_report_ent_host *h,
                                 kz_error *err);
kz_status kz_report_add_ent_account(kz_report *r,
                                    const kz_report_ent_account *a,
                                    kz_error *err);
kz_status kz_report_add_ent_addr(kz_report *r, const kz_report_ent_addr *a,
                                 kz_error *err);

/* The chart's bucket width for activity from first to last: the
 * smallest of 1 min, 5 min, 15 min, 1 h, 6 h, 1 day, 7 days, 30 days
 * giving at most KZ_REPORT_CHART_TARGET buckets (30 days past that, the
 * list cap then counts what is left out); 1 h when either time is
 * absent. */
#define KZ_REPORT_CHART_TARGET 200
kz_time kz_report_chart_width(kz_time first, kz_time last);

/* Counts events and alerts at time t into the bucket of the given width
 * (aligned to multiples of width since 1601-01-01 UTC) that holds t,
 * creating it in time order if needed; a new bucket past the cap is
 * counted in buckets.omitted; counts saturate at UINT64_MAX. t of
 * KZ_TIME_NONE or before 1601 and width <= 0 are ignored. Use one width
 * for the whole model. */
kz_status kz_report_chart_add(kz_report *r, kz_time t, kz_time width,
                              uint64_t events, uint64_t alerts,
                              kz_error *err);

#endif /* KZ_REPORT_MODEL_H */
