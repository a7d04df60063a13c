/*
 * entity.h - the entity table: the hosts, accounts and source addresses
 * the logon facts (logon.h) and the coverage (the hosts whose logs were
 * read) show, each with what the events say about it, and the address ->
 * host observations the incident engine joins on (incident.h,
 * kz_inc_add_addr_host).
 *
 * Identity (DESIGN.md Conventions, as the logon collector): hosts by
 * kz_a_host_key (lower case, DNS suffix stripped; every spelling seen is
 * kept); a machine account HOST$ names host "host"; accounts by
 * "domain\name" (domain through kz_a_host_key, name through
 * kz_a_account_key; "DOMAIN\name" and "name@realm" are understood, the
 * latter kept as the UPN), SIDs linked to the account an event names
 * with them; a name seen without a domain joins the one domain it is
 * seen with elsewhere, a bare SID the one named account seen with it;
 * addresses with "-" and empty unknown, "::ffff:a.b.c.d" = a.b.c.d,
 * internal as kz_addr_classify_nets (RFC 1918, 6598, loopback,
 * link-local, ULA, --internal-nets).
 *
 * What each fact gives (docs/investigate.md "Entities"):
 *   - the account: a 4672 marks it admin on the fact's host; a success
 *     counts as a logon (hosts logged on to, first and last logon)
 *     except the domain controller's validations 4768/4769/4776
 *     (counted as authentications); a failure counts as a failure;
 *   - the target host: its spelling and role (kz_logon_fact_roles);
 *   - the source address: its class, logons and failures from it;
 *   - an address -> host observation ("map") when a successful fact
 *     shows an internal, non-loopback address with a machine account
 *     HOST$ (4624, 4768, 4769, 5140: KZ_ENT_BY_MACHINE) or with the
 *     workstation name of a 4624 (KZ_ENT_BY_WORKSTATION).
 * Bounds: every table has a cap (kz_ent_opts); what a cap leaves out is
 * counted (kz_ent_stats, and per entity *_omitted). Values are cut to
 * max_text bytes on a UTF-8 boundary.
 * Determinism: output lists are sorted by their keys (byte order); the
 * output does not depend on the order facts arrive in, except which
 * spellings are kept when more than max_links are seen (the first).
 * Ownership: returned pointers live until kz_ent_free. Threads: one
 * table per thread.
 */
#ifndef KZ_INVESTIGATE_ENTITY_H
#define KZ_INVESTIGATE_ENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/time.h"
#include "investigate/logon.h"

/* Defaults of kz_ent_opts. */
#define KZ_ENT_MAX_HOSTS 50000
#define KZ_ENT_MAX_ACCOUNTS 100000
#define KZ_ENT_MAX_ADDRS 100000
#define KZ_ENT_MAX_MAPS 200000
#define KZ_ENT_MAX_LINKS 16 /* spellings, SIDs, hosts kept per entity */
#define KZ_ENT_MAX_TEXT 256
#define KZ_ENT_MAX_BYTES ((size_t)64 << 20)

/* Bounds (0 = the default above). */
typedef struct kz_ent_opts {
    size_t max_hosts;              /* host entities */
    size_t max_accounts;           /* account entities */
    size_t max_addrs;              /* address entities */
    size_t max_maps;               /* address -> host observations */
    size_t max_links;              /* per entity: spellings, SIDs, hosts */
    size_t max_text;               /* bytes kept of one value */
    size_t max_bytes;              /* all interned text */
    const kz_a_net *internal_nets; /* --internal-nets (not copied) */
    size_t ninternal_nets;
} kz_ent_opts;

/* Counters. */
typedef struct kz_ent_stats {
    uint64_t facts;            /* facts given */
    uint64_t dropped_hosts;    /* hosts past max_hosts (their facts) */
    uint64_t dropped_accounts; /* accounts past max_accounts */
    uint64_t dropped_addrs;    /* addresses past max_addrs */
    uint64_t dropped_maps;     /* observations past max_maps */
    uint64_t dropped_text;     /* facts skipped: max_bytes reached */
    uint64_t cut_values;       /* values cut at max_text */
    uint64_t merged_accounts;  /* bare names and SIDs joined at finish */
} kz_ent_stats;

/* How an address was seen to belong to a host. */
typedef enum kz_ent_how {
    KZ_ENT_BY_MACHINE = 0,     /* a logon of the machine account HOST$
                                  from the address */
    KZ_ENT_BY_WORKSTATION = 1, /* a 4624 with the address and the host as
                                  its WorkstationName (the name the client
                                  gave: weaker) */
} kz_ent_how;

/* One address -> host observation (aggregated by address, host, how). */
typedef struct kz_ent_map {
    const char *address; /* normalised address */
    const char *host;    /* host key */
    uint8_t how;         /* kz_ent_how */
    kz_time first, last; /* earliest and latest fact (KZ_TIME_NONE when
                            no fact had a time) */
    uint64_t count;      /* facts */
    uint32_t event_mask; /* bit i: logon event table entry i */
} kz_ent_map;

/* A host. */
typedef struct kz_ent_host {
    const char *key;              /* host key */
    const char *const *spellings; /* as logged, sorted */
    size_t n_spellings;
    uint64_t spellings_omitted;     /* past max_links */
    const kz_ent_map *const *addrs; /* its observations, by address */
    size_t n_addrs;
    uint8_t roles;       /* KZ_HOST_* (logon.h) */
    bool logs_read;      /* in the coverage */
    uint64_t events;     /* coverage: events read */
    kz_time first, last; /* coverage: first and last event */
    const char *machine; /* its machine account label, or
                            NULL when none was seen */
} kz_ent_host;

/* An account. */
typedef struct kz_ent_account {
    const char *key;         /* "domain\name", or the SID */
    const char *label;       /* "DOMAIN\name" (the logon graph's) */
    const char *const *sids; /* SIDs seen with it, sorted */
    size_t n_sids;
    const char *upn;                /* "name@realm" when seen, or NULL */
    bool admin;                     /* a 4672 was seen */
    bool machine;                   /* a machine account (name ends '$') */
    const char *const *admin_hosts; /* hosts of its 4672s, sorted */
    size_t n_admin_hosts;
    uint64_t admin_hosts_omitted;
    const char *const *hosts; /* hosts logged on to, sorted */
    size_t n_hosts;
    uint64_t hosts_omitted;
    uint64_t logons;     /* successful logons */
    uint64_t auths;      /* successful 4768/4769/4776 */
    uint64_t failures;   /* failed logons and validations */
    kz_time first, last; /* first and last successful logon
                            or authentication */
} kz_ent_account;

/* A source address. */
typedef struct kz_ent_addr {
    const char *address;           /* normalised */
    bool internal;                 /* internal (see above) */
    const char *host;              /* the one host its observations name,
                                      or NULL (none, or several: see
                                      n_hosts) */
    size_t n_hosts;                /* distinct hosts observed */
    const kz_ent_map *const *maps; /* its observations, by host, how */
    size_t n_maps;
    uint64_t logons;     /* successful facts from it */
    uint64_t failures;   /* failed facts from it */
    kz_time first, last; /* first and last fact from it */
} kz_ent_addr;

typedef struct kz_ent kz_ent;

/* A new table (options copied); NULL on OOM. */
kz_ent *kz_ent_new(const kz_ent_opts *o);

/* Frees it. Accepts NULL. */
void kz_ent_free(kz_ent *e);

/* Adds one logon fact. KZ_OK also when a cap left something out
 * (counted); KZ_ENOMEM; KZ_EUSAGE after kz_ent_finish. */
kz_status kz_ent_add_fact(kz_ent *e, const kz_logon_fact *f);

/* Adds roles (KZ_HOST_*, logon.h) a host's own events tell besides its
 * logon facts (investigate: a 5145 on a share that is not
 * administrative makes a file server). Same returns as
 * kz_ent_add_coverage. */
kz_status kz_ent_add_roles(kz_ent *e, const char *host, size_t n,
                           uint8_t roles);

/* Adds a host whose logs were read (Computer as logged, n bytes): its
 * events and first and last event time (KZ_TIME_NONE = unknown); a host
 * given in several spellings adds up. Same returns. */
kz_status kz_ent_add_coverage(kz_ent *e, const char *host, size_t n,
                              uint64_t events, kz_time first, kz_time last);

/* Ends the run: joins accounts, sorts. Call once before the accessors.
 * KZ_ENOMEM; KZ_EUSAGE when called twice. */
kz_status kz_ent_finish(kz_ent *e);

/* Counters so far. */
void kz_ent_get_stats(const kz_ent *e, kz_ent_stats *st);

/* Hosts by key. */
size_t kz_ent_n_hosts(const kz_ent *e);
const kz_ent_host *kz_ent_host_at(const kz_ent *e, size_t i);

/* Accounts by key. */
size_t kz_ent_n_accounts(const kz_ent *e);
const kz_ent_account *kz_ent_account_at(const kz_ent *e, size_t i);

/* Addresses by address. */
size_t kz_ent_n_addrs(const kz_ent *e);
const kz_ent_addr *kz_ent_addr_at(const kz_ent *e, size_t i);

/* Observations by address, host, how. */
size_t kz_ent_n_maps(const kz_ent *e);
const kz_ent_map *kz_ent_map_at(const kz_ent *e, size_t i);

/* "machine account" or "workstation name". */
const char *kz_ent_how_str(uint8_t how);

#endif /* KZ_INVESTIGATE_ENTITY_H */
