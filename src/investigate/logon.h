/*
 * logon.h - the logon collector: logon summary rows, the logon graph and
 * its ranking, from one logon fact at a time.
 *
 * A fact is what one event says about a logon (or an authentication, a
 * share access, a service install, a privileged logon): when, on which
 * host, by which account, from which source, with which logon type and
 * authentication package, and whether it succeeded. The event table
 * (kz_logon_source_*) says which events give facts and which field goes
 * into each slot; kz_logon_fact_from_slots applies each event's
 * semantics (4625's failure code, 4648's target server, Kerberos status,
 * the RDP user "DOMAIN\name"...). The collector aggregates:
 *   - summary rows by (result, account, source address, source
 *     workstation, logon type, host, failure status): count, first, last,
 *     event ids;
 *   - graph edges "logon" account -> host by (account, source, host,
 *     logon type, auth package): count, failures, first, last, event ids;
 *     edges "from" source -> account by (source, account);
 *   - nodes: accounts, hosts, addresses, with a PageRank.
 * Identity (DESIGN.md Conventions): hosts by kz_a_host_key (lower case,
 * DNS suffix stripped); accounts by "domain\name" (domain through
 * kz_a_host_key, name through kz_a_account_key); a name seen without a
 * domain joins the one domain it is seen with elsewhere, and a bare SID
 * (7045's header) joins the named account logged with that SID.
 * Every table has a cap (kz_logon_opts); what does not fit is counted in
 * kz_logon_stats. Output order is a total order on the values (documented
 * at each accessor), independent of the order facts arrive in except for
 * display forms (the first seen wins). Reference: docs/logons.md.
 * Ownership: strings returned point into the collector and live until
 * kz_logon_free. Threads: one collector per thread; the event table is
 * constant and shared.
 */
#ifndef KZ_INVESTIGATE_LOGON_H
#define KZ_INVESTIGATE_LOGON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analytics/analytics.h"
#include "base/error.h"
#include "base/strbuf.h"
#include "base/time.h"
#include "event/value.h"

/* ---- facts --------------------------------------------------------- */

/* What a fact says. */
typedef enum kz_logon_result {
    KZ_LOGON_SUCCESS = 0, /* a logon, authentication or access that worked */
    KZ_LOGON_FAILURE,     /* a failed logon or authentication */
    KZ_LOGON_PRIVILEGED,  /* 4672: the account got admin rights (node
                             attribute only, no row, no edge) */
} kz_logon_result;

/* No logon type (the event has none). */
#define KZ_LOGON_TYPE_NONE (-1)

/* One fact: borrowed strings, valid for the kz_logon_add call. A string
 * of length 0 is absent. */
typedef struct kz_logon_fact {
    uint32_t event_id;  /* 4624, 4625, 1149... */
    kz_time time;       /* event time, KZ_TIME_NONE if unknown */
    uint8_t result;     /* kz_logon_result */
    int logon_type;     /* 2, 3, 10..., or KZ_LOGON_TYPE_NONE */
    kz_str host;        /* target host as logged (Computer...) */
    kz_str domain;      /* account domain */
    kz_str name;        /* account name ("DOMAIN\name", "name@realm"
                           and "CN=name,..." are understood) */
    kz_str sid;         /* account SID */
    kz_str address;     /* source address as logged */
    kz_str workstation; /* source workstation / host name */
    kz_str auth;        /* authentication package ("NTLM"...) */
    kz_str status;      /* failure: status code ("0xc000006a") */
    kz_str service;     /* 4769 service / 7045, 4697 service name */
} kz_logon_fact;

/* Slots of the event table (field read into each). */
typedef enum kz_logon_slot {
    KZ_LS_NAME = 0,
    KZ_LS_DOMAIN,
    KZ_LS_SID,
    KZ_LS_ADDR,
    KZ_LS_WORKSTATION,
    KZ_LS_TYPE,
    KZ_LS_AUTH,
    KZ_LS_STATUS,
    KZ_LS_SUBSTATUS,
    KZ_LS_TARGET, /* 4648: TargetServerName */
    KZ_LS_SERVICE,
    KZ_LS_COUNT
} kz_logon_slot;

/* One event of the table. */
typedef struct kz_logon_source {
    const char *channel; /* compared case-insensitively */
    uint32_t event_id;
    const char *fields[KZ_LS_COUNT]; /* field per slot, NULL = none */
    const char *doc;                 /* what it contributes, one line */
} kz_logon_source;

/* Entry i of the event table, or NULL past its end. */
const kz_logon_source *kz_logon_source_at(size_t i);

/* Index in the table of (channel, event id), or -1. */
int kz_logon_source_find(const char *channel, size_t channel_len,
                         uint32_t event_id);

/* Fills *f from the rendered slots of an event of source si (v[k] is the
 * text of slot k, empty if absent), its Computer, time and header user
 * SID (Security@UserID, read by 7045). Returns false when the event
 * gives no fact (4768/4769/4776 without a status, an unknown source). */
bool kz_logon_fact_from_slots(int si, const kz_str v[KZ_LS_COUNT],
                              kz_str computer, kz_time time, kz_str header_sid,
                              kz_logon_fact *f);

/* ---- the collector ------------------------------------------------- */

/* Bounds (0 = the default in brackets). */
typedef struct kz_logon_opts {
    size_t max_rows;               /* summary rows [200000] */
    size_t max_edges;              /* graph edges, both kinds [200000] */
    size_t max_accounts;           /* distinct account keys [100000] */
    size_t max_bytes;              /* bytes of interned text [64 MiB] */
    size_t max_text;               /* bytes kept of one value [256] */
    const kz_a_net *internal_nets; /* --internal-nets (not copied) */
    size_t ninternal_nets;
} kz_logon_opts;

/* Counters. */
typedef struct kz_logon_stats {
    uint64_t facts;            /* facts given */
    uint64_t privileged;       /* 4672 facts */
    uint64_t no_account;       /* facts without any account (skipped) */
    uint64_t dropped_rows;     /* facts not counted in a row: rows full */
    uint64_t dropped_edges;    /* facts not counted in an edge: edges full */
    uint64_t dropped_accounts; /* facts skipped: accounts full */
    uint64_t dropped_text;     /* facts skipped: max_bytes reached */
    uint64_t cut_values;       /* values cut at max_text */
    uint64_t merged_accounts;  /* account keys joined to another at finish */
} kz_logon_stats;

typedef struct kz_logon kz_logon;

/* A new collector (options copied); NULL on OOM. */
kz_logon *kz_logon_new(const kz_logon_opts *o);

/* Frees it. Accepts NULL. */
void kz_logon_free(kz_logon *l);

/* Adds one fact. KZ_OK also when a cap dropped it (counted);
 * KZ_ENOMEM on allocation failure; KZ_EUSAGE after kz_logon_finish. */
kz_status kz_logon_add(kz_logon *l, const kz_logon_fact *f);

/* Adds roles (KZ_HOST_*) the host's own events tell besides its logon
 * facts (investigate: 5145 on a share that is not administrative); they
 * show on its node when it has one. Same returns as kz_logon_add. */
kz_status kz_logon_add_roles(kz_logon *l, const char *host, size_t n,
                             uint8_t roles);

/* Ends the run: joins account keys, merges, sorts and ranks. Call once
 * before the accessors below. */
kz_status kz_logon_finish(kz_logon *l);

/* Counters so far. */
void kz_logon_get_stats(const kz_logon *l, kz_logon_stats *st);

/* Source kinds. */
typedef enum kz_logon_src_kind {
    KZ_SRC_NONE = 0, /* unknown or local */
    KZ_SRC_INTERNAL, /* internal address */
    KZ_SRC_EXTERNAL, /* external address */
    KZ_SRC_HOST,     /* a workstation / host name (no address) */
} kz_logon_src_kind;

/* One summary row (strings never NULL; "" when absent). */
typedef struct kz_logon_row {
    uint8_t result;          /* KZ_LOGON_SUCCESS or KZ_LOGON_FAILURE */
    const char *account;     /* display "DOMAIN\name" (or SID) */
    const char *account_key; /* "domain\name" */
    const char *sid;         /* SID if seen */
    const char *address;     /* source address as logged */
    uint8_t src_kind;        /* kz_logon_src_kind of the source */
    const char *workstation; /* source workstation (host key) */
    int logon_type;          /* or KZ_LOGON_TYPE_NONE */
    const char *host;        /* target host key */
    const char *status;      /* failure status */
    uint64_t count;          /* facts */
    kz_time first, last;     /* earliest and latest time (or NONE) */
    uint32_t event_mask;     /* bit i: event table entry i */
} kz_logon_row;

/* Summary rows, failures first, then by count (descending), account key,
 * host, address, workstation, logon type, status. n_rows is the count. */
size_t kz_logon_n_rows(const kz_logon *l);
const kz_logon_row *kz_logon_row_at(const kz_logon *l, size_t i);

/* Node kinds. */
typedef enum kz_logon_node_kind {
    KZ_NODE_ACCOUNT = 0,
    KZ_NODE_HOST,
    KZ_NODE_ADDRESS,
} kz_logon_node_kind;

/* One graph node. */
typedef struct kz_logon_node {
    uint8_t kind;      /* kz_logon_node_kind */
    const char *id;    /* "account:domain\name", "host:ws01",
                          "addr:10.0.0.1" */
    const char *label; /* display form */
    const char *sid;   /* accounts: SID if seen, else "" */
    bool admin;        /* accounts: a 4672 was seen */
    bool external;     /* addresses: not internal */
    uint8_t roles;     /* hosts: KZ_HOST_* inferred from their events */
    double rank;       /* PageRank (sums to 1 over the nodes) */
    double rank_norm;  /* rank scaled to [0, 1] (min-max) */
} kz_logon_node;

/* Host roles, inferred from the events a host logs (DESIGN.md Identity;
 * docs/logons.md): Kerberos and NTLM validation (4768, 4769, 4776) is done
 * by domain controllers; access (5140) to a share that is not
 * administrative (not ending in '$') is logged by file servers. */
enum {
    KZ_HOST_DC = 1u << 0,          /* domain controller */
    KZ_HOST_FILE_SERVER = 1u << 1, /* file server */
};

/* "domain controller", "file server", "domain controller, file server"
 * or "" for roles. */
const char *kz_logon_roles_str(uint8_t roles);

/* The roles (KZ_HOST_*) fact f tells of the host that logs it (its
 * host slot as logged): the rule above. */
uint8_t kz_logon_fact_roles(const kz_logon_fact *f);

/* Edge kinds. */
typedef enum kz_logon_edge_kind {
    KZ_EDGE_LOGON = 0, /* account -> host */
    KZ_EDGE_FROM,      /* source (address or host) -> account */
} kz_logon_edge_kind;

/* One graph edge (node indexes into the node list). */
typedef struct kz_logon_edge {
    uint8_t kind;          /* kz_logon_edge_kind */
    size_t source, target; /* node indexes */
    size_t via;            /* LOGON: node index of the source, or
                              SIZE_MAX when unknown */
    int logon_type;        /* LOGON: or KZ_LOGON_TYPE_NONE */
    const char *auth;      /* LOGON: auth package or "" */
    uint64_t count;        /* facts */
    uint64_t failed;       /* of them failures */
    kz_time first, last;   /* earliest and latest time */
    uint32_t event_mask;   /* bit i: event table entry i */
} kz_logon_edge;

/* Nodes by kind (accounts, hosts, addresses), then id in byte order. */
size_t kz_logon_n_nodes(const kz_logon *l);
const kz_logon_node *kz_logon_node_at(const kz_logon *l, size_t i);

/* Edges by kind (logon, from), then source id, target id, via id, logon
 * type, auth. */
size_t kz_logon_n_edges(const kz_logon *l);
const kz_logon_edge *kz_logon_edge_at(const kz_logon *l, size_t i);

/* Node indexes by rank, highest first; ties by node id. */
const size_t *kz_logon_ranking(const kz_logon *l);

/* The ranking's parameters (docs/logons.md "Ranking"). */
#define KZ_LOGON_DAMPING 0.85
#define KZ_LOGON_MAX_ITER 100
#define KZ_LOGON_TOLERANCE 1e-10

/* PageRank of a directed graph of n nodes and m edges (from[i] ->
 * to[i]; duplicates count once each): damping KZ_LOGON_DAMPING, dangling
 * nodes' rank spread over all nodes, iterated until the L1 change is
 * below KZ_LOGON_TOLERANCE or KZ_LOGON_MAX_ITER rounds. rank[n] out.
 * Returns the rounds run, or 0 on OOM (rank untouched). */
unsigned kz_logon_pagerank(size_t n, const size_t *from, const size_t *to,
                           size_t m, double *rank);

/* Appends the event ids of a mask ("4624 4625"), space-separated. */
kz_status kz_logon_mask_ids(kz_strbuf *b, uint32_t mask);

/* ---- exports (logon_export.c) -------------------------------------- */

/* Writes n bytes; returns KZ_OK or KZ_EIO. */
typedef kz_status (*kz_logon_write_fn)(void *ctx, const char *p, size_t n);

/* Formats a time (the output zone); NULL = ISO UTC. */
typedef kz_status (*kz_logon_time_fn)(void *ctx, kz_strbuf *b, kz_time t);

/* Writes the graph as Cytoscape JSON ({"elements":{"nodes":[...],
 * "edges":[...]}}, docs/logons.md "Exports"), every string through the
 * JSON escaper. */
kz_status kz_logon_write_cytoscape(const kz_logon *l, kz_logon_write_fn w,
                                   void *wctx, kz_logon_time_fn tf, void *tctx);

/* Writes the graph as GraphML with declared keys; every string
 * XML-escaped, control characters and invalid UTF-8 as U+FFFD. */
kz_status kz_logon_write_graphml(const kz_logon *l, kz_logon_write_fn w,
                                 void *wctx, kz_logon_time_fn tf, void *tctx);

/* Appends s[0..n) XML-escaped (& < > " '), with the characters XML 1.0
 * forbids (C0 but TAB/LF/CR, U+FFFE/FFFF, surrogates) and invalid UTF-8
 * as U+FFFD, and TAB/LF/CR as character references. */
kz_status kz_xml_escape(kz_strbuf *b, const char *s, size_t n);

#endif /* KZ_INVESTIGATE_LOGON_H */
