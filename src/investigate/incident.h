/*
 * incident.h - the incident engine: seed alerts clustered into incidents,
 * each with a kill-chain-ordered timeline, techniques, hosts, accounts and
 * tools; the lateral movement path of each incident; and its patient zero
 * (the first host), or "undetermined" with the reason.
 *
 * A pure engine: no batch, no CLI. It is fed alerts (detections, analytic
 * findings, correlation alerts), logon edges (from the logon collector,
 * logon.h) and the coverage (the hosts whose logs were read), then
 * kz_inc_run applies the procedures of docs/investigate.md:
 *   1. seeds: alerts at level >= min_level;
 *   2. clustering: two seeds join when they share a host key or an
 *      account key (service identities excluded) and lie within `window`
 *      of each other, transitively (union-find);
 *   3. per incident: hosts, accounts, techniques (attack.tNNNN tags),
 *      tools (image basename, path, hash, first execution) and the alerts
 *      in kill-chain order (ATT&CK tactic order, then time);
 *   4. lateral movement: from the host of the earliest seed, logon edges
 *      in first-seen order whose account is an incident account (or was
 *      seen logging on to an already-reached host after it was reached);
 *      each newly reached host gives one step;
 *   5. patient zero: candidates from the earliest seeds and the first
 *      logons into the incident; a single host within `tie_window` of the
 *      earliest activity is the verdict, else "undetermined" with the
 *      reason.
 * An edge from an internal address comes from a host when the address
 * observations (kz_inc_add_addr_host) name one host within the incident's
 * span ("Address join" in docs/investigate.md), in steps 4 and 5.
 * Identity (DESIGN.md Conventions): hosts by kz_a_host_key; accounts by
 * "domain\name" (domain through kz_a_host_key, name through
 * kz_a_account_key); a name without a domain joins the one domain it is
 * seen with elsewhere.
 * Determinism: every input list is sorted by a total order on its values
 * before use, so the output does not depend on the order of the calls.
 * Bounds: every list has a cap (kz_inc_config, 0 = the default); what a
 * cap leaves out is counted in kz_inc_stats; strings are cut to max_text
 * bytes (on a UTF-8 boundary) and counted.
 * Ownership: input strings are borrowed for the call (copied); output
 * pointers live until kz_inc_free. Threads: one engine per thread.
 */
#ifndef KZ_INVESTIGATE_INCIDENT_H
#define KZ_INVESTIGATE_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "base/time.h"

/* One second in kz_time ticks. */
#define KZ_INC_SECOND ((kz_time)10000000)

/* Defaults of kz_inc_config (docs/investigate.md "Parameters"). */
#define KZ_INC_WINDOW (24 * 3600 * KZ_INC_SECOND)   /* join window */
#define KZ_INC_TIE_WINDOW (10 * 60 * KZ_INC_SECOND) /* patient-zero ties */
#define KZ_INC_LEAD (24 * 3600 * KZ_INC_SECOND)     /* entry-logon lookback */
#define KZ_INC_MIN_LEVEL 3 /* KZ_LEVEL_MEDIUM (sigma/ast.h) */
#define KZ_INC_MAX_ALERTS 200000
#define KZ_INC_MAX_EDGES 200000
#define KZ_INC_MAX_HOSTS 100000
#define KZ_INC_MAX_INCIDENTS 1000
#define KZ_INC_MAX_ROWS 10000 /* alerts listed per incident */
#define KZ_INC_MAX_STEPS 1000
#define KZ_INC_MAX_TOOLS 1000
#define KZ_INC_MAX_CANDIDATES 32
#define KZ_INC_MAX_TEXT 1024
#define KZ_INC_MAX_ADDR_HOSTS 200000

/* Parameters; 0 = the default named in brackets. */
typedef struct kz_inc_config {
    kz_time window;        /* seeds within it join [KZ_INC_WINDOW, 24 h] */
    kz_time tie_window;    /* patient-zero tie window [10 min] */
    kz_time lead;          /* entry logons up to this before the
                              earliest seed [24 h] */
    uint8_t min_level;     /* seed level, kz_level [medium] */
    size_t max_alerts;     /* alerts kept [200000] */
    size_t max_edges;      /* logon edges kept [200000] */
    size_t max_hosts;      /* coverage hosts kept [100000] */
    size_t max_incidents;  /* incidents kept [1000] */
    size_t max_rows;       /* alerts listed per incident [10000] */
    size_t max_steps;      /* lateral steps per incident [1000] */
    size_t max_tools;      /* tools per incident [1000] */
    size_t max_candidates; /* patient-zero candidates per incident [32] */
    size_t max_text;       /* bytes kept of one string [1024] */
    size_t max_addr_hosts; /* address -> host observations kept
                              [200000] */
} kz_inc_config;

/* One alert (input; strings borrowed for kz_inc_add_alert, NULL or ""
 * = absent). After kz_inc_run the engine's copies are shown through
 * kz_inc_row. */
typedef struct kz_inc_alert {
    kz_time time;         /* event time (UTC); an alert without one is
                             counted (no_time) and left out */
    const char *host;     /* Computer as logged */
    const char *account;  /* "DOMAIN\name", "name@realm" or "name" */
    const char *logon_id; /* logon id if known */
    const char *rule_id;  /* Sigma rule id or analytic id */
    const char *title;    /* rule title */
    uint8_t level;        /* kz_level (sigma/ast.h) */
    bool correlation;     /* correlation rule or analytic finding */
    const char *tags;     /* comma-separated ("attack.t1059.001,...") */
    const char *file;     /* evidence: input file */
    uint64_t record_id;   /* evidence: EventRecordID, UINT64_MAX = none */
    const char *image;    /* tool: image path */
    const char *hash;     /* tool: hash ("SHA256=..,MD5=.." or hex) */
    const char *cmdline;  /* tool: command line */
    const char *parent_image; /* the parent's image (impact scope: files
                                 its process wrote are attributed) */
} kz_inc_alert;

/* Source kinds of an edge (the values of logon.h's kz_logon_src_kind). */
typedef enum kz_inc_src_kind {
    KZ_INC_SRC_NONE = 0, /* unknown or local */
    KZ_INC_SRC_INTERNAL, /* internal address */
    KZ_INC_SRC_EXTERNAL, /* external address */
    KZ_INC_SRC_HOST,     /* host name */
} kz_inc_src_kind;

/* One logon edge (input; strings borrowed for the call): the account
 * logged on to target from source. */
typedef struct kz_inc_edge {
    const char *account;  /* "DOMAIN\name" */
    const char *source;   /* address or host, NULL/"" = unknown */
    uint8_t src_kind;     /* kz_inc_src_kind */
    const char *target;   /* target host */
    int logon_type;       /* 2, 3, 10..., or -1 */
    const char *method;   /* "PsExec", "SMB"... or NULL: from the type */
    kz_time first, last;  /* first and last time */
    uint64_t count;       /* facts */
    uint64_t failed;      /* of them failures (count == failed: the
                             edge is left out, no logon succeeded) */
    const char *evidence; /* first event ("Security 4624 #12 in a.evtx")
                             or NULL */
} kz_inc_edge;

/* One address -> host observation (input; strings borrowed for the
 * call): the internal address was seen to belong to host from first to
 * last (the entity table's maps, entity.h). The join (docs/
 * investigate.md "Address join"): an edge from an internal address
 * whose observations overlapping the incident's span [earliest seed -
 * lead, last seed + window] name exactly one host comes from that host;
 * with none, or with two hosts or more (ambiguous), it stays an
 * address. External addresses are never joined. */
typedef struct kz_inc_addr_host {
    const char *address;  /* as the edges' sources give it */
    const char *host;     /* host name (keyed) */
    kz_time first, last;  /* when it was seen (an observation without a
                             first time is ignored) */
    const char *evidence; /* how ("machine account", "workstation
                             name"...) or NULL */
} kz_inc_addr_host;

/* One row of an incident's timeline: a copied alert with its keys. */
typedef struct kz_inc_row {
    kz_inc_alert alert;  /* the engine's copy */
    const char *host;    /* host key */
    const char *account; /* account key ("domain\name") or "" */
    const char *tactic;  /* earliest kill-chain tactic of its tags, or
                            "" (sorted after every tactic) */
} kz_inc_row;

/* One tool (an alert's image). */
typedef struct kz_inc_tool {
    const char *name;       /* image basename */
    const char *path;       /* image path as first logged */
    const char *hash;       /* SHA256 value when the hash has one, else
                               the hash as logged, or "" */
    kz_time first;          /* first execution */
    const char *first_host; /* host key of the first execution */
    size_t n_hosts;         /* distinct hosts it ran on */
} kz_inc_tool;

/* One lateral movement step. */
typedef struct kz_inc_step {
    const char *from;     /* source host or address, "" = unknown */
    uint8_t from_kind;    /* kz_inc_src_kind (an internal address joined
                             to its host: KZ_INC_SRC_HOST) */
    const char *to;       /* host key reached */
    const char *account;  /* account key */
    kz_time time;         /* the edge's first time */
    int logon_type;       /* or -1 */
    const char *method;   /* edge method, or from the logon type */
    const char *evidence; /* the edge's evidence or "" */
    const char *from_address; /* the address joined to host `from`
                                 ("Address join"), or "" */
} kz_inc_step;

/* What made a host a patient-zero candidate. */
typedef enum kz_inc_cand_kind {
    KZ_INC_CAND_ALERT = 0, /* host of one of the earliest seed alerts */
    KZ_INC_CAND_EXTERNAL,  /* target of a first logon from an external
                              address */
    KZ_INC_CAND_SOURCE,    /* source of a first logon into the incident */
} kz_inc_cand_kind;

/* One patient-zero candidate. */
typedef struct kz_inc_candidate {
    const char *host;     /* host key or address */
    uint8_t kind;         /* kz_inc_cand_kind */
    bool logs_read;       /* its logs cover the evidence (in the coverage
                             from tie_window before it at least; see
                             docs/investigate.md) */
    kz_time time;         /* its earliest evidence */
    const char *evidence; /* one line: the alert or the logon */
    const char *address;  /* source: the address joined to host, or "" */
} kz_inc_candidate;

/* One incident. */
typedef struct kz_incident {
    size_t id;                /* 1, 2... in output order */
    kz_time first, last;      /* first and last seed */
    uint8_t max_level;        /* highest seed level */
    size_t n_seeds;           /* seeds in it (listed or not) */
    const char *const *hosts; /* host keys, by first seed, then key */
    size_t n_hosts;
    const char *const *accounts; /* account keys, same order */
    size_t n_accounts;
    const char *const *techniques; /* "T1059.001"..., sorted */
    size_t n_techniques;
    const kz_inc_row *rows;   /* seeds in kill-chain order */
    size_t n_rows;            /* <= max_rows */
    const kz_inc_tool *tools; /* by first execution, then path */
    size_t n_tools;
    const kz_inc_step *steps; /* in path order */
    size_t n_steps;
    const char *start_host;             /* host of the earliest seed */
    const kz_inc_candidate *candidates; /* by time, then host */
    size_t n_candidates;
    const char *patient_zero; /* the verdict, or NULL: undetermined */
    const char *reason;       /* why that host, or why undetermined */
} kz_incident;

/* Counters. */
typedef struct kz_inc_stats {
    uint64_t alerts;             /* alerts given */
    uint64_t seeds;              /* of them seeds */
    uint64_t no_time;            /* alerts without a time (left out) */
    uint64_t dropped_alerts;     /* alerts over max_alerts */
    uint64_t dropped_edges;      /* edges over max_edges */
    uint64_t dropped_hosts;      /* coverage hosts over max_hosts */
    uint64_t dropped_incidents;  /* incidents over max_incidents */
    uint64_t dropped_rows;       /* rows over max_rows (all incidents) */
    uint64_t dropped_steps;      /* steps over max_steps */
    uint64_t dropped_tools;      /* tools over max_tools */
    uint64_t dropped_candidates; /* candidates over max_candidates */
    uint64_t cut_strings;        /* strings cut at max_text */
    uint64_t dropped_addr_hosts; /* observations over max_addr_hosts */
} kz_inc_stats;

typedef struct kz_inc kz_inc;

/* A new engine (config copied; NULL = all defaults); NULL on OOM. */
kz_inc *kz_inc_new(const kz_inc_config *cfg);

/* Frees it. Accepts NULL. */
void kz_inc_free(kz_inc *e);

/* Adds an alert. KZ_OK also when a cap or a missing time left it out
 * (counted); KZ_ENOMEM; KZ_EUSAGE after kz_inc_run. */
kz_status kz_inc_add_alert(kz_inc *e, const kz_inc_alert *a);

/* Adds a logon edge (same returns). Edges without a target, an account
 * or a first time are ignored. */
kz_status kz_inc_add_edge(kz_inc *e, const kz_inc_edge *ed);

/* Adds a host whose logs were read, with its first and last event time
 * (KZ_TIME_NONE = unknown); a host given twice keeps the widest span. */
kz_status kz_inc_add_host(kz_inc *e, const char *host, kz_time first,
                          kz_time last);

/* Adds an address -> host observation (same returns as
 * kz_inc_add_edge). Observations without an address, a host or a first
 * time are ignored. */
kz_status kz_inc_add_addr_host(kz_inc *e, const kz_inc_addr_host *m);

/* Runs the procedures (once). KZ_ENOMEM; KZ_EUSAGE when run twice. */
kz_status kz_inc_run(kz_inc *e);

/* Formats a time for the evidence and reason strings the engine writes
 * (e.g. in the report's zone with its offset); returns an error of
 * kz_strbuf. */
typedef kz_status (*kz_inc_time_fmt)(void *ctx, kz_strbuf *b, kz_time t);

/* Sets the formatter of the times in evidence and reasons (before
 * kz_inc_run); NULL (the default) = ISO 8601 UTC. */
void kz_inc_set_time_format(kz_inc *e, kz_inc_time_fmt fn, void *ctx);

/* Incidents, by first seed time, then start host, then first seed
 * (valid after kz_inc_run). */
size_t kz_inc_count(const kz_inc *e);
const kz_incident *kz_inc_at(const kz_inc *e, size_t i);

/* The overall first host: the patient zero of the incident with the
 * highest level (then the earliest), with its reason; *host = NULL and
 * reason "no seed alerts" when there is no incident. */
void kz_inc_first_host(const kz_inc *e, const char **host, const char **reason);

/* Counters so far. */
void kz_inc_get_stats(const kz_inc *e, kz_inc_stats *st);

/* Kill-chain rank of a tactic name ("initial-access" or
 * "initial_access", case-insensitive, n bytes), 0-based in the order of
 * docs/investigate.md, or -1 when it is not a tactic. */
int kz_inc_tactic_rank(const char *s, size_t n);

/* Appends to b the account key of the user name s[0..n) as the engine
 * keys accounts: "domain\name" (domain = the host key of DOMAIN in
 * DOMAIN\name, or of the realm in name@realm), or "name" without a
 * domain (kz_a_account_key: lower case). Appends nothing when s names no
 * account ("-", empty). KZ_ENOMEM. */
kz_status kz_inc_account_key(kz_strbuf *b, const char *s, size_t n);

/* True for an account key (kz_inc_account_key) of a service identity,
 * which never joins incidents nor attributes anything: the NT AUTHORITY
 * domain, SYSTEM, LOCAL/NETWORK SERVICE, ANONYMOUS LOGON, "-", machine
 * accounts (name ending in $), and the empty key. */
bool kz_inc_service_identity(const char *key);

#endif /* KZ_INVESTIGATE_INCIDENT_H */
